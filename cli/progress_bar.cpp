#include "progress_bar.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sluice::cli {

ProgressBar::ProgressBar(std::ostream& out, std::string what, bool enabled)
    : out_(out), what_(std::move(what)), enabled_(enabled) {
    start_ = stageStart_ = Clock::now();
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::finish() {
    if (drawn_) out_ << "\r\033[K" << std::flush;
    drawn_ = false;
    enabled_ = false;
}

bool ProgressBar::terminal() {
    const char* term = std::getenv("TERM");
    return ::isatty(STDERR_FILENO) == 1 && (term == nullptr || std::strcmp(term, "dumb") != 0);
}

void ProgressBar::stage(std::string_view name, size_t total) {
    if (!enabled_) return;
    stage_ = std::string(name);
    total_ = total;
    done_ = 0;
    stageStart_ = Clock::now();
    draw(true);
}

void ProgressBar::advance(size_t done) {
    if (!enabled_) return;
    done_ = done;
    draw(total_ != 0 && done == total_);
}

void ProgressBar::draw(bool force) {
    auto now = Clock::now();
    if (!force && drawn_ && now - lastDraw_ < std::chrono::milliseconds(100)) return;
    lastDraw_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double inStage = std::chrono::duration<double>(now - stageStart_).count();
    char line[256];
    int n = std::snprintf(line, sizeof line, "%s  %s", what_.c_str(), stage_.c_str());
    std::string text(line, n > 0 ? static_cast<size_t>(n) : 0);
    if (total_ != 0) {
        constexpr size_t kWidth = 20;
        size_t done = done_ > total_ ? total_ : done_;
        size_t filled = done * kWidth / total_;
        text += "  [" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "]";
        std::snprintf(line, sizeof line, "  %zu/%zu  %zu%%", done, total_, done * 100 / total_);
        text += line;
        std::snprintf(line, sizeof line, "  %.1f s", elapsed);
        text += line;
        if (done > 0 && done < total_) {
            double eta = inStage / static_cast<double>(done) * static_cast<double>(total_ - done);
            std::snprintf(line, sizeof line, "  ETA %.0f s", eta);
            text += line;
        }
    } else {
        std::snprintf(line, sizeof line, "  %zu  %.1f s", done_, elapsed);
        text += line;
    }
    out_ << "\r\033[K" << text << std::flush;
    drawn_ = true;
}

}  // namespace sluice::cli
