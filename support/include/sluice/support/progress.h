// Progress of a long run (compile, validation, verify, proptest) as the library sees it: a
// named stage with a count of steps. The library only reports; the CLI decides whether and how
// to show it (a bar on a terminal's stderr, nothing otherwise). Calls come from the thread
// running the work; an implementation must be cheap, since a stage may advance per rule.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice {

class Progress {
public:
    virtual ~Progress() = default;
    // A new stage of `total` steps (0: unknown); replaces the current one.
    virtual void stage(std::string_view name, size_t total) = 0;
    // `done` steps of the current stage are complete.
    virtual void advance(size_t done) = 0;
};

}  // namespace sluice
