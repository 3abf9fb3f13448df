// latent/backend/cpu/launch.hpp: runs a kernel functor over an index range on the host.
//
// Kernels are LATENT_HD functors `f(i)` for i in [0, n). On the cpu backend a
// plain loop runs them (the compiler vectorises the simple ones); above a size
// where thread start-up pays for itself, OpenMP splits the range.
#pragma once

#include <cstddef>
#include <cstdint>

#include "latent/backend/tags.hpp"
#include "latent/config.hpp"

#if LATENT_HAS_OPENMP
#include <omp.h>
#endif

namespace latent {

/// Work items below which a kernel runs on one thread. A cheap elementwise op
/// on 32k floats takes ~10 µs, about what waking a second thread costs.
inline constexpr std::size_t cpu_parallel_threshold = std::size_t{1} << 15;

namespace detail {
/// Runs f(i) for i < n, on OpenMP's threads when there are at least `parallel_from` items.
template <class Kernel>
void run_items(std::size_t n, std::size_t parallel_from, Kernel& f) {
#if LATENT_HAS_OPENMP
    if (n >= parallel_from && omp_get_max_threads() > 1 && !omp_in_parallel()) {
        const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < count; ++i) f(static_cast<std::size_t>(i));
        return;
    }
#else
    (void)parallel_from;
#endif
    for (std::size_t i = 0; i < n; ++i) f(i);
}
}  // namespace detail

template <class Kernel>
void launch(cpu, std::size_t n, Kernel f) {
    detail::run_items(n, cpu_parallel_threshold, f);
}

/// Like launch, for kernels whose items are costly (one item = one row, one
/// image): parallel as soon as there are two items.
template <class Kernel>
void launch_coarse(cpu, std::size_t n, Kernel f) {
    detail::run_items(n, 2, f);
}

}  // namespace latent
