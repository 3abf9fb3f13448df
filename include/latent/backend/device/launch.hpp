// latent/backend/device/launch.hpp: the one place device kernels are launched.
//
// A kernel is a LATENT_HD functor `f(i)` over i in [0, n), the same functor the
// cpu backend runs in a loop (DESIGN.md, "Kernels once, for both"). Here it
// runs as thrust::for_each_n over a counting iterator on Thrust's device
// system: a CUDA kernel under nvcc, an OpenMP (or serial) loop under a host
// compiler. Under CUDA the launch is asynchronous, on latent's one stream
// (backend/cuda/stream.hpp). Every op, optimizer and fill reaches the device through these two
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
#include <thrust/system/cuda/execution_policy.h>
#include <thrust/system_error.h>

#include "latent/backend/cuda/stream.hpp"
#endif

namespace latent {

namespace detail {
template <class Kernel>
void device_for_each(std::size_t n, const Kernel& f, const char* who) {
    count(device_stats().launches);
    if (n == 0) return;
#if LATENT_DEVICE_CUDA
    try {
        // Queued on latent's stream without waiting for it (par_nosync): the host syncs only at transfers.
        thrust::for_each_n(thrust::cuda::par_nosync.on(cuda::stream()), thrust::counting_iterator<std::size_t>(0), n, f);
    } catch (const thrust::system_error& e) {
        throw cuda_error(concat(who, ": kernel over ", n, " items failed: ", e.what()));
    }
#else
    (void)who;
    thrust::for_each_n(thrust::device, thrust::counting_iterator<std::size_t>(0), n, f);
#endif
}
}  // namespace detail

/// Runs f(i) for every i < n on the device. Under CUDA the kernel is queued on latent's stream
/// (backend/cuda/stream.hpp) and this returns at once: work queued later, transfers included, runs
/// after it. On Thrust's host systems it returns when all have run.
/// requires: f is a LATENT_HD functor holding device pointers and values only (no
///           host memory, no exceptions, no virtual calls), and the memory it touches stays
///           alive until the work is done (tensors from the arena do: freed blocks are only
///           reused by work queued after, on the same stream).
/// ensures:  device_stats().launches grows by one (also for n = 0); throws cuda_error if
///           the CUDA launch fails; a kernel's own failure surfaces at the next synchronisation.
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

namespace latent {

/// Waits for every device operation queued so far (CUDA: the latent stream; host systems: nothing
/// is ever pending). Throws cuda_error for a kernel that failed since the last synchronisation.
/// Timing code calls it before reading the clock; transfers to the host do it themselves.
inline void synchronize(device) {
#if LATENT_DEVICE_CUDA
    cuda::synchronize();
#endif
}

}  // namespace latent
