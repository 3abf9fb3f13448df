// latent/backend/device/launch.hpp: the one place device kernels are launched.
//
// A kernel is a LATENT_HD functor `f(i)` over i in [0, n), the same functor the
// cpu backend runs in a loop (DESIGN.md, "Kernels once, for both"). Here it
// runs as thrust::for_each_n over a counting iterator on Thrust's device
// system: a CUDA kernel under nvcc, an OpenMP (or serial) loop under a host
// compiler. Every op, optimizer and fill reaches the device through these two
// functions, never through the cpu backend's, and each call is counted
// (device_stats().launches), which is how the tests tell the two apart.
#pragma once

#include "latent/backend/device/system.hpp"  // first: it checks THRUST_DEVICE_SYSTEM before Thrust picks a default

#include <cstddef>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include "latent/backend/device/counters.hpp"
#include "latent/backend/tags.hpp"
#include "latent/core/error.hpp"

#if LATENT_DEVICE_CUDA
#include <thrust/system_error.h>
#endif

namespace latent {

namespace detail {
template <class Kernel>
void device_for_each(std::size_t n, const Kernel& f, const char* who) {
    count(device_stats().launches);
    if (n == 0) return;
#if LATENT_DEVICE_CUDA
    try {
        thrust::for_each_n(thrust::device, thrust::counting_iterator<std::size_t>(0), n, f);
    } catch (const thrust::system_error& e) {
        throw cuda_error(concat(who, ": kernel over ", n, " items failed: ", e.what()));
    }
#else
    (void)who;
    thrust::for_each_n(thrust::device, thrust::counting_iterator<std::size_t>(0), n, f);
#endif
}
}  // namespace detail

/// Runs f(i) for every i < n on the device; returns when all have run.
/// requires: f is a LATENT_HD functor holding device pointers and values only (no
///           host memory, no exceptions, no virtual calls).
/// ensures:  device_stats().launches grows by one (also for n = 0); throws
///           cuda_error if the CUDA launch or the kernel fails.
template <class Kernel>
void launch(device, std::size_t n, Kernel f) {
    detail::device_for_each(n, f, "launch(device)");
}

/// launch for coarse items (a row, an image). On a GPU every item is a thread
/// either way, so this is the same launch; the cpu backend is where the two differ.
template <class Kernel>
void launch_coarse(device, std::size_t n, Kernel f) {
    detail::device_for_each(n, f, "launch_coarse(device)");
}

}  // namespace latent
