// latent/core/concepts.hpp: the requirements on backends and scalar types.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace latent {

/// A type autograd differentiates: float everywhere, double on the CPU backend for gradient checks.
template <class T>
concept scalar = std::same_as<T, float> || std::same_as<T, double>;

/// A type a tensor may hold: a scalar, or an integer for labels, indices and pixels.
template <class T>
concept element = scalar<T> || std::same_as<T, std::int32_t> || std::same_as<T, std::uint8_t>;

namespace detail {
struct probe_kernel {
    void operator()(std::size_t) const {}
};
}  // namespace detail

/// A backend: an empty tag type with the memory, launch and dense-algebra
/// functions every op is written against. A type that lacks one of them fails
/// here, with the missing expression named, rather than deep inside an op.
template <class B>
concept backend = std::is_empty_v<B> && requires(B b, std::size_t n, void* p, const void* cp, float* f,
                                                 const float* cf) {
    { B::name } -> std::convertible_to<const char*>;
    { allocate_bytes(b, n) } -> std::same_as<void*>;
    free_bytes(b, p);
    copy_bytes(b, p, cp, n);
    copy_to_host(b, p, cp, n);
    copy_from_host(b, p, cp, n);
    launch(b, n, detail::probe_kernel{});
    launch_coarse(b, n, detail::probe_kernel{});
    gemm(b, false, false, n, n, n, 1.0f, cf, n, cf, n, 0.0f, f, n);
    column_sums(b, cf, n, n, f);
    row_sums(b, cf, n, n, f);
};

}  // namespace latent
