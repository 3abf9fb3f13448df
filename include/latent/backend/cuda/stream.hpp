// latent/backend/cuda/stream.hpp: the CUDA stream every device operation of latent runs on. CUDA only.
//
// One stream for the whole process, created by latent on first use and never
// destroyed (like the arena, it must outlive every tensor). Kernels, cuBLAS
// calls and device-to-device copies are queued on it and return at once; the
// host waits only where it needs the results: copy_to_host, synchronize(device)
// and cudaFree. One stream rather than one per thread because the arena hands a
// freed block to whichever thread asks next: with a single stream the block's
// new work is queued after its old work, so reuse needs no events.
// The stream is non-blocking: it does not wait for work on the legacy default
// stream, so code outside latent that shares memory with it must synchronize
// first (synchronize(device)).
#pragma once

#if !defined(__CUDACC__)
#error "latent/backend/cuda/stream.hpp is CUDA-only: include it only when __CUDACC__ is defined"
#endif

#include <cuda_runtime.h>

#include "latent/backend/cuda/check.hpp"

namespace latent::cuda {

/// The process's latent stream (created on first use; thread-safe).
inline cudaStream_t stream() {
    static const cudaStream_t s = [] {
        cudaStream_t created = nullptr;
        LATENT_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
        return created;
    }();
    return s;
}

/// Waits until everything queued on the latent stream has run; throws cuda_error for a kernel
/// that failed since the last synchronisation (asynchronous errors surface here).
inline void synchronize() { LATENT_CUDA_CHECK(cudaStreamSynchronize(stream())); }

}  // namespace latent::cuda
