// latent/core/error.hpp: the exceptions the library throws.
//
// Every error is a latent::error, so a caller can catch them all in one place.
// Messages name the thing at fault: the op and both shapes for a shape error,
// the file and tensor for an I/O error, the option for a configuration error.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace latent {

/// Base of every exception the library throws.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Operands whose shapes do not fit the op; the message names the op and the shapes.
struct shape_error : error {
    using error::error;
};

/// A file or byte stream that cannot be read or written as asked; names the file and, where known, the tensor.
struct io_error : error {
    using error::error;
};

/// An option, argument or model configuration that cannot work.
struct config_error : error {
    using error::error;
};

/// A NaN or infinity produced by an op while finite checks are on; names the op.
struct numeric_error : error {
    using error::error;
};

/// A failed CUDA or cuBLAS call; names the call, file and line.
struct cuda_error : error {
    using error::error;
};

namespace detail {
/// Builds a message from any streamable pieces: `concat("op ", name, ": ", shape)`.
template <class... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}
}  // namespace detail

}  // namespace latent

/// Throws `kind` with the streamed message when `cond` is false. The message is
/// only built on failure, so checks on hot paths cost one branch.
#define LATENT_CHECK(cond, kind, ...)                                         \
    do {                                                                      \
        if (!(cond)) [[unlikely]]                                             \
            throw kind(::latent::detail::concat(__VA_ARGS__));                \
    } while (0)
