// SourceManager: owns the text of every file of one run and maps lines for diagnostics.
#include "sluice/lang/source.h"

namespace sluice::lang {

namespace {
const std::string kEmpty;
}  // namespace

SourceManager::SourceManager() { files_.emplace_back(); }  // id 0: "no file"

uint32_t SourceManager::add(std::string path, std::string text) {
    File f;
    f.path = std::move(path);
    f.text = std::move(text);
    f.lineStarts.push_back(0);
    for (size_t i = 0; i < f.text.size(); ++i) {
        if (f.text[i] == '\n') f.lineStarts.push_back(static_cast<uint32_t>(i + 1));
    }
    files_.push_back(std::move(f));
    return static_cast<uint32_t>(files_.size() - 1);
}

const std::string& SourceManager::path(uint32_t file) const {
    return file < files_.size() ? files_[file].path : kEmpty;
}

const std::string& SourceManager::text(uint32_t file) const {
    return file < files_.size() ? files_[file].text : kEmpty;
}

std::string_view SourceManager::line(uint32_t file, uint32_t line) const {
    if (file == 0 || file >= files_.size() || line == 0) return {};
    const File& f = files_[file];
    if (line > f.lineStarts.size()) return {};
    size_t begin = f.lineStarts[line - 1];
    size_t end = line < f.lineStarts.size() ? f.lineStarts[line] - 1 : f.text.size();
    std::string_view v(f.text.data() + begin, end - begin);
    if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
    return v;
}

std::string SourceManager::describe(SourceLoc loc) const {
    if (loc.file == 0 || loc.file >= files_.size()) return "<unknown>";
    std::string s = files_[loc.file].path;
    if (loc.line == 0) return s;
    return s + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

}  // namespace sluice::lang
