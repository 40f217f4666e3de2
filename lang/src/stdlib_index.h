// Which standard-library module declares a name: the hint of an unknown name that a module
// of the stdlib path defines (`ANY_V4` without `import std.protocols;`). Read lazily, on the
// first unknown name, with a plain scan of the declarations (no parse, no diagnostics).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::lang {

class StdlibIndex {
public:
    explicit StdlibIndex(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}

    // "std.protocols" for "ANY_V4"; nullopt when no module of the path declares `name`.
    std::optional<std::string> moduleDeclaring(const std::string& name);

private:
    void load();

    std::vector<std::string> dirs_;
    bool loaded_ = false;
    std::map<std::string, std::string> moduleOf_;
};

}  // namespace sluice::lang
