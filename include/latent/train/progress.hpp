// latent/train/progress.hpp: progress output for long loops (epochs, batches).
//
// On a terminal it redraws one line in place; otherwise (CI logs, pipes) it
// prints a line at most every `interval` seconds and at the end, so logs stay short.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace latent {

class progress {
public:
    /// `total` steps named `label`; writes to `out` (stderr by default).
    progress(std::string label, std::int64_t total, std::FILE* out = stderr, double interval_seconds = 5.0)
        : label_(std::move(label)),
          total_(total),
          out_(out),
          interval_(interval_seconds),
          tty_(isatty(fileno(out)) != 0),
          start_(clock::now()),
          last_(start_) {}

    /// Records that `done` steps are finished; `status` is shown after the counts ("loss 0.41").
    void update(std::int64_t done, const std::string& status = {}) {
        const auto now = clock::now();
        const bool finished = done >= total_;
        if (!finished && seconds(now - last_) < (tty_ ? 0.1 : interval_)) return;
        last_ = now;
        const double elapsed = seconds(now - start_);
        const double rate = elapsed > 0 ? double(done) / elapsed : 0.0;
        char line[256];
        std::snprintf(line, sizeof line, "%s %lld/%lld (%3.0f%%) %.1f/s %.1fs", label_.c_str(),
                      static_cast<long long>(done), static_cast<long long>(total_),
                      total_ > 0 ? 100.0 * double(done) / double(total_) : 100.0, rate, elapsed);
        if (tty_) std::fprintf(out_, "\r\033[K%s %s%s", line, status.c_str(), finished ? "\n" : "");
        else std::fprintf(out_, "%s %s\n", line, status.c_str());
        std::fflush(out_);
    }
    double elapsed_seconds() const { return seconds(clock::now() - start_); }

private:
    using clock = std::chrono::steady_clock;
    static double seconds(clock::duration d) { return std::chrono::duration<double>(d).count(); }

    std::string label_;
    std::int64_t total_;
    std::FILE* out_;
    double interval_;
    bool tty_;
    clock::time_point start_, last_;
};

}  // namespace latent
