// The CLI's rendering of sluice::Progress: one line on stderr, redrawn in place at most ten
// times a second ("compile  validate  [#####-----]  8/13  61%  12.3 s  ETA 8 s"), cleared when
// the run ends. Shown only when stderr is a terminal and --quiet was not given; otherwise every
// call returns at once.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "sluice/support/progress.h"

namespace sluice::cli {

class ProgressBar final : public Progress {
public:
    // `what`: the command ("verify"); `enabled` false: a bar that never draws.
    ProgressBar(std::ostream& out, std::string what, bool enabled);
    ~ProgressBar() override;  // finish()
    // Clears the line; nothing is drawn after it (call before printing a report).
    void finish();
    void stage(std::string_view name, size_t total) override;
    void advance(size_t done) override;

    // Whether a bar would be drawn: stderr is a terminal (and TERM is not "dumb").
    static bool terminal();

private:
    using Clock = std::chrono::steady_clock;
    void draw(bool force);

    std::ostream& out_;
    std::string what_, stage_;
    bool enabled_;
    bool drawn_ = false;
    size_t total_ = 0, done_ = 0;
    Clock::time_point start_, stageStart_, lastDraw_;
};

}  // namespace sluice::cli
