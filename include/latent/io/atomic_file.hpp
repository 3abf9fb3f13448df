// latent/io/atomic_file.hpp: replacing a file so that no reader ever sees half of it.
//
// The new content goes to a temporary file in the target's directory, which is
// flushed to disk (fsync) and then renamed over the target. rename() within one
// file system is atomic on POSIX: the target is the old file or the new one,
// never a mixture, even if the process or the machine dies part way. A crash
// can leave the temporary behind ("<target>.tmp.<pid>.<n>"), never a truncated
// target.
//
// POSIX only (open, write, fsync, rename), as is the rest of the library's I/O.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "latent/core/error.hpp"

namespace latent {

namespace detail {
inline std::string errno_text(int err) { return std::generic_category().message(err); }
}  // namespace detail

/// The sink that write_file_atomically hands to its filler: appends bytes to the temporary file.
/// Throws io_error (naming the target) when the system refuses a write, e.g. a full disk.
class atomic_file_writer {
public:
    atomic_file_writer(int fd, const std::filesystem::path& target) : fd_(fd), target_(target) {}

    void write(const void* data, std::size_t bytes) {
        const char* p = static_cast<const char*>(data);
        while (bytes > 0) {
            const ::ssize_t n = ::write(fd_, p, bytes);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw io_error(detail::concat("cannot write '", target_.string(), "': ", detail::errno_text(errno)));
            }
            p += n;
            bytes -= static_cast<std::size_t>(n);
            written_ += static_cast<std::size_t>(n);
        }
    }
    /// Bytes written so far.
    std::size_t written() const { return written_; }

private:
    int fd_;
    const std::filesystem::path& target_;
    std::size_t written_ = 0;
};

/// Replaces (or creates) `target` with what `fill(atomic_file_writer&)` writes.
///
/// requires: the target's directory exists and is writable; `target` is not a directory.
/// ensures:  on return the new content is on disk under `target`. On any failure, whether
///           the system's or an exception from `fill`, the temporary is removed, `target` is
///           untouched, and an io_error naming `target` is thrown (an exception of another
///           type thrown by `fill` passes through unchanged, after the same clean-up).
///           The new file gets mode 0666 minus the umask, as a freshly created file would.
template <class Fill>
void write_file_atomically(const std::filesystem::path& target, Fill&& fill) {
    const std::string name = target.string();
    LATENT_CHECK(!target.empty() && target.has_filename(), io_error, "cannot write '", name, "': not a file name");

    // pid + a process-wide counter makes the name unique among live writers; O_EXCL
    // refuses a stale temporary left by a crash, and we then try the next number. The
    // target's name is cut to 200 bytes so that the suffix cannot push the temporary's
    // name past the usual limit of 255.
    static std::atomic<unsigned> counter{0};
    const std::string stem = target.filename().string().substr(0, 200);
    std::filesystem::path temp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        temp = target;
        temp.replace_filename(detail::concat(stem, ".tmp.", ::getpid(), ".", counter.fetch_add(1)));
        fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST && errno != EINTR)
            throw io_error(detail::concat("cannot write '", name, "': cannot create '", temp.string(),
                                          "': ", detail::errno_text(errno)));
    }
    LATENT_CHECK(fd >= 0, io_error, "cannot write '", name, "': no free temporary file name beside it");

    auto fail = [&](const std::string& what, int err) {
        if (fd >= 0) ::close(fd);
        fd = -1;
        ::unlink(temp.c_str());
        throw io_error(detail::concat("cannot write '", name, "': ", what, ": ", detail::errno_text(err)));
    };
    try {
        atomic_file_writer out(fd, target);
        std::forward<Fill>(fill)(out);
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    if (::fsync(fd) != 0) fail("fsync", errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail("close", errno);
    if (::rename(temp.c_str(), target.c_str()) != 0) fail("rename", errno);

    // Make the rename itself durable. Best effort: the new file is already in place,
    // so a failure here is no reason to report the write as failed.
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace latent
