// Frontend: file loading with imports (stdlib search, relative paths, cycles, diamonds),
// then parse -> resolve -> Policy. Semantic checks run only when every file parsed: a
// partial tree after a syntax error would only produce follow-on noise.
#include "sluice/lang/frontend.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "parse.h"
#include "sluice/lang/limits.h"
#include "sluice/support/input_file.h"
#include "printer.h"
#include "resolve.h"
#include "symbol_index.h"

namespace sluice::lang {

namespace fs = std::filesystem;

namespace {

// Every file, the root and each import, goes through the one input reader: regular files only
// (never blocks on a FIFO or a device), at most kPolicyFileLimits bytes and line length, UTF-8
// text (a binary file is one clear error; its bytes are never echoed).
struct ReadFailure {
    DiagKind kind;
    std::string why;
};

DiagKind problemKind(InputProblem p, DiagKind missing) {
    switch (p) {
        case InputProblem::NotRegular: return DiagKind::NotRegularFile;
        case InputProblem::TooLarge: return DiagKind::FileTooLarge;
        case InputProblem::LineTooLong: return DiagKind::LineTooLong;
        case InputProblem::NotText: return DiagKind::NotText;
        default: return missing;
    }
}

std::optional<std::string> readPolicyFile(const std::string& path, DiagKind missing,
                                          ReadFailure& failure) {
    InputFile f = readInputFile(path, kPolicyFileLimits);
    if (f.ok()) return std::move(f.text);
    failure.kind = problemKind(f.problem, missing);
    failure.why = f.reason;
    if (f.line != 0) failure.why += " (line " + std::to_string(f.line) + ")";
    return std::nullopt;
}

std::string canonical(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec) return fs::path(path).lexically_normal().string();
    return p.string();
}

// Loads a root file and, depth first, its imports; files end up imports-first. Iterative (an
// explicit stack of files being loaded): the length of an import chain is the input's choice.
class Loader {
public:
    Loader(const FrontendOptions& options, SourceManager& sources, DiagnosticEngine& diags)
        : options_(options), sources_(sources), diags_(diags) {}

    void loadRoot(const std::string& name, std::string text) {
        open(name, canonical(name), std::move(text));
        while (!stack_.empty()) {
            Frame& top = stack_.back();
            if (top.next < top.file->imports.size()) {
                const ast::Import& imp = top.file->imports[top.next++];
                top.importedAt = imp.range;
                follow(imp, top.dir);  // may push a frame: `top` dangles after this
                continue;
            }
            state_[top.canon] = 2;
            files.push_back(std::move(top.file));
            stack_.pop_back();
        }
    }

    std::vector<std::unique_ptr<ast::File>> files;
    bool syntaxOk = true;

private:
    struct Frame {
        std::string canon;
        std::string display;
        SourceRange importedAt;  // the import being followed (invalid until the first one)
        std::unique_ptr<ast::File> file;
        fs::path dir;
        size_t next = 0;  // the next import of `file` to follow
    };

    void open(const std::string& name, const std::string& canon, std::string text) {
        totalBytes_ += text.size();
        uint32_t id = sources_.add(name, std::move(text));
        state_[canon] = 1;
        auto file = std::make_unique<ast::File>();
        if (!parseFile(id, sources_.text(id), diags_, *file, tokens_)) syntaxOk = false;
        stack_.push_back({canon, name, {}, std::move(file), fs::path(name).parent_path(), 0});
    }

    void follow(const ast::Import& imp, const fs::path& dir) {
        std::string path;
        if (imp.isPath) {
            if (fs::path(imp.text).extension() != ".sl") {
                diags_.report(DiagKind::ImportNotPolicy, imp.targetRange,
                              "cannot import '" + imp.text +
                                  "': only policy files (named *.sl) can be imported");
                return;
            }
            path = (dir / imp.text).lexically_normal().string();
            std::error_code ec;
            if (!fs::exists(path, ec)) {
                diags_.report(DiagKind::ImportNotFound, imp.targetRange,
                              "cannot find imported file '" + imp.text + "' (looked for " + path +
                                  ")");
                return;
            }
        } else {
            const std::string prefix = "std.";
            if (imp.text.rfind(prefix, 0) != 0 || imp.text.size() == prefix.size()) {
                diags_.report(DiagKind::ImportNotFound, imp.targetRange,
                              "cannot find module '" + imp.text +
                                  "': only std.NAME modules are searched; import other files by "
                                  "quoted path");
                return;
            }
            std::string rel = imp.text.substr(prefix.size());
            for (char& c : rel) {
                if (c == '.') c = '/';
            }
            rel += ".sl";
            std::string searched;
            for (const std::string& d : options_.stdlibDirs) {
                std::error_code ec;
                fs::path candidate = fs::path(d) / rel;
                if (fs::exists(candidate, ec)) {
                    path = candidate.string();
                    break;
                }
                searched += (searched.empty() ? "" : ", ") + d;
            }
            if (path.empty()) {
                diags_.report(DiagKind::ImportNotFound, imp.targetRange,
                              "cannot find module '" + imp.text + "' (" + rel + " not in " +
                                  (searched.empty() ? std::string("an empty stdlib path") : searched) +
                                  ")");
                return;
            }
        }
        std::string canon = canonical(path);
        int st = state_[canon];
        if (st == 2) return;  // diamond: loaded once
        if (st == 1) {
            std::string chain;
            size_t start = 0;
            for (size_t i = 0; i < stack_.size(); ++i) {
                if (stack_[i].canon == canon) start = i;
            }
            for (size_t i = start; i < stack_.size(); ++i) chain += stack_[i].display + " -> ";
            chain += stack_[start].display;
            diags_.report(DiagKind::ImportCycle, imp.range, "import cycle: " + chain);
            for (size_t i = start; i + 1 < stack_.size(); ++i) {
                diags_.note(stack_[i].importedAt,
                            "'" + stack_[i].display + "' imports '" + stack_[i + 1].display + "' here");
            }
            return;
        }
        if (sources_.fileCount() >= kMaxSourceFiles) {
            if (!tooManyReported_) {
                tooManyReported_ = true;
                diags_.report(DiagKind::TooManyFiles, imp.targetRange,
                              "cannot import '" + imp.text + "': a policy may consist of at most " +
                                  std::to_string(kMaxSourceFiles) + " files");
            }
            return;
        }
        ReadFailure failure;
        auto text = readPolicyFile(path, DiagKind::ImportNotFound, failure);
        if (!text) {
            diags_.report(failure.kind, imp.targetRange,
                          "cannot read imported file '" + path + "': " + failure.why);
            return;
        }
        if (text->size() > kMaxTotalSourceBytes - std::min(totalBytes_, kMaxTotalSourceBytes)) {
            diags_.report(DiagKind::FileTooLarge, imp.targetRange,
                          "cannot import '" + path + "': the files of a policy may hold at most " +
                              std::to_string(kMaxTotalSourceBytes >> 20) + " MiB together");
            return;
        }
        open(path, canon, std::move(*text));
    }

    const FrontendOptions& options_;
    SourceManager& sources_;
    DiagnosticEngine& diags_;
    std::map<std::string, int> state_;  // 1 loading, 2 done
    std::vector<Frame> stack_;
    uint64_t totalBytes_ = 0;
    TokenBudget tokens_;
    bool tooManyReported_ = false;
};

}  // namespace

std::vector<std::string> defaultStdlibDirs() {
    std::vector<std::string> dirs;
    // An installed binary (`cmake --install`) finds the stdlib installed next to it first:
    // PREFIX/bin/sluice -> PREFIX/share/sluice/stdlib.
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path installed = exe.parent_path().parent_path() / "share" / "sluice" / "stdlib";
        if (fs::is_directory(installed, ec)) dirs.push_back(installed.string());
    }
#ifdef SLUICE_STDLIB_DIR
    if (std::string(SLUICE_STDLIB_DIR).size() > 0) dirs.emplace_back(SLUICE_STDLIB_DIR);
#endif
    if (const char* env = std::getenv("SLUICE_STDLIB"); env != nullptr && *env != '\0') {
        dirs.emplace_back(env);
    }
    return dirs;
}

Frontend::Frontend(FrontendOptions options)
    : options_(std::move(options)),
      sources_(std::make_shared<SourceManager>()),
      diags_(std::make_unique<DiagnosticEngine>(sources_)),
      symbols_(std::make_unique<SymbolIndex>()) {}

Frontend::~Frontend() = default;

std::shared_ptr<const Policy> Frontend::loadFile(const std::string& path) {
    ReadFailure failure;
    auto text = readPolicyFile(path, DiagKind::FileNotFound, failure);
    if (!text) {
        diags_->report(failure.kind, SourceRange{}, "cannot read '" + path + "': " + failure.why);
        return nullptr;
    }
    return loadString(path, std::move(*text));
}

std::shared_ptr<const Policy> Frontend::loadString(const std::string& name, std::string text) {
    size_t firstDiag = diags_->diagnostics().size();
    size_t errorsBefore = diags_->errorCount();
    std::shared_ptr<Policy> policy;
    try {
        Loader loader(options_, *sources_, *diags_);
        loader.loadRoot(name, std::move(text));
        std::vector<const ast::File*> trees;
        for (const auto& f : loader.files) trees.push_back(f.get());
        *symbols_ = buildSymbolIndex(trees);
        if (loader.syntaxOk && !loader.files.empty()) {
            ResolveInput in;
            for (const auto& f : loader.files) in.files.push_back(f.get());
            in.rootFile = loader.files.back()->fileId;
            in.warnings = options_.warnings;
            StdlibIndex stdlib(options_.stdlibDirs);
            in.stdlib = &stdlib;
            policy = resolvePolicy(in, *diags_);
        }
    } catch (const std::exception& e) {
        // A bug of ours, not the user's; still a diagnostic rather than a crash.
        diags_->report(DiagKind::SyntaxError, SourceRange{},
                       std::string("internal error while reading the policy: ") + e.what());
    }
    diags_->sortBySource(firstDiag);
    if (diags_->errorCount() != errorsBefore) return nullptr;
    return policy;
}

bool Frontend::formatFile(const std::string& path, std::string& out) {
    ReadFailure failure;
    auto text = readPolicyFile(path, DiagKind::FileNotFound, failure);
    if (!text) {
        diags_->report(failure.kind, SourceRange{}, "cannot read '" + path + "': " + failure.why);
        return false;
    }
    return formatString(path, std::move(*text), out);
}

bool Frontend::formatString(const std::string& name, std::string text, std::string& out) {
    uint32_t id = sources_->add(name, std::move(text));
    ast::File file;
    TokenBudget tokens;
    size_t errorsBefore = diags_->errorCount();
    // A reserved word as a name (E107) parses but is still an error: nothing to format.
    if (!parseFile(id, sources_->text(id), *diags_, file, tokens)) return false;
    if (diags_->errorCount() != errorsBefore) return false;
    out = printFile(file);
    return true;
}

}  // namespace sluice::lang
