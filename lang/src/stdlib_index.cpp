#include "stdlib_index.h"

#include <cctype>
#include <filesystem>

#include "sluice/support/input_file.h"

namespace sluice::lang {
namespace {

constexpr size_t kMaxModulesScanned = 256;

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The names declared at the top level: `const|port|layer|routes|ecmp|meter|credit NAME`.
void scanDeclarations(const std::string& text, const std::string& module,
                      std::map<std::string, std::string>& out) {
    static const char* kKeywords[] = {"const", "port", "layer", "routes", "ecmp", "meter", "credit"};
    size_t i = 0, n = text.size();
    while (i < n) {
        if (text.compare(i, 2, "//") == 0) {
            i = text.find('\n', i);
            if (i == std::string::npos) return;
            continue;
        }
        if (text.compare(i, 2, "/*") == 0) {
            i = text.find("*/", i + 2);
            if (i == std::string::npos) return;
            i += 2;
            continue;
        }
        if (!isNameChar(text[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < n && isNameChar(text[i])) ++i;
        std::string word = text.substr(start, i - start);
        bool keyword = false;
        for (const char* k : kKeywords) keyword |= word == k;
        if (!keyword) continue;
        size_t j = i;
        while (j < n && (text[j] == ' ' || text[j] == '\t')) ++j;
        size_t nameStart = j;
        while (j < n && isNameChar(text[j])) ++j;
        if (j > nameStart) out.emplace(text.substr(nameStart, j - nameStart), module);
    }
}

}  // namespace

void StdlibIndex::load() {
    loaded_ = true;
    namespace fs = std::filesystem;
    size_t scanned = 0;
    for (const std::string& dir : dirs_) {
        std::error_code ec;
        fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
        for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it.depth() > 4) {
                it.disable_recursion_pending();
                continue;
            }
            const fs::path& p = it->path();
            if (p.extension() != ".sl" || !it->is_regular_file(ec)) continue;
            if (++scanned > kMaxModulesScanned) return;
            InputFile file = readInputFile(p.string(), kPolicyFileLimits);
            if (!file.ok()) continue;
            std::string rel = fs::relative(p, dir, ec).replace_extension().generic_string();
            if (ec) continue;
            for (char& c : rel)
                if (c == '/') c = '.';
            scanDeclarations(file.text, "std." + rel, moduleOf_);
        }
    }
}

std::optional<std::string> StdlibIndex::moduleDeclaring(const std::string& name) {
    if (!loaded_) load();
    auto it = moduleOf_.find(name);
    if (it == moduleOf_.end()) return std::nullopt;
    return it->second;
}

}  // namespace sluice::lang
