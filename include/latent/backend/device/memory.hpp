// latent/backend/device/memory.hpp: raw memory of the device backend.
//
// Under CUDA, device memory from cudaMalloc and copies through cudaMemcpyAsync
// on latent's stream (the host waits only for copies to and from host memory),
// every call checked (backend/cuda/check.hpp). Under Thrust's host systems,
// "device" memory is host memory, 256-byte aligned as cudaMalloc's is, so that
// the same kernels see the same alignment. Either way tensors get it through
// the caching arena (tensor/arena.hpp): in steady state these functions are
// not called at all.
#pragma once

#include "latent/backend/device/system.hpp"  // first: see there

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "latent/backend/device/counters.hpp"
#include "latent/backend/tags.hpp"
#include "latent/core/error.hpp"

#if LATENT_DEVICE_CUDA
#include "latent/backend/cuda/check.hpp"
#include "latent/backend/cuda/stream.hpp"
#endif

namespace latent {

/// Alignment of every device allocation, in bytes (what cudaMalloc guarantees).
inline constexpr std::size_t device_alignment = 256;

/// Returns `bytes` of uninitialised device memory (at least one byte's worth, device_alignment-aligned).
/// Throws cuda_error (CUDA) or error (host systems) naming the size when none is left.
inline void* allocate_bytes(device, std::size_t bytes) {
    const std::size_t rounded =
        bytes == 0 ? device_alignment : (bytes + device_alignment - 1) / device_alignment * device_alignment;
    detail::count(device_stats().allocations);
#if LATENT_DEVICE_CUDA
    void* p = nullptr;
    const cudaError_t status = cudaMalloc(&p, rounded);
    if (status == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        throw cuda_error(detail::concat("device: out of memory allocating ", bytes, " bytes (cudaMalloc of ", rounded,
                                        " bytes at ", __FILE__, ":", __LINE__, ")"));
    }
    cuda::detail::check(status, "cudaMalloc", __FILE__, __LINE__);
    return p;
#else
    void* p = std::aligned_alloc(device_alignment, rounded);
    LATENT_CHECK(p != nullptr, error, "device: out of memory allocating ", bytes, " bytes");
    return p;
#endif
}

/// Gives memory from allocate_bytes(device, …) back; null is ignored.
inline void free_bytes(device, void* p) {
#if LATENT_DEVICE_CUDA
    if (p) LATENT_CUDA_CHECK(cudaFree(p));
#else
    std::free(p);
#endif
}

/// Device to device; under CUDA queued on latent's stream (returns at once).
inline void copy_bytes(device, void* dst, const void* src, std::size_t bytes) {
    if (bytes == 0) return;
#if LATENT_DEVICE_CUDA
    LATENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cuda::stream()));
#else
    std::memcpy(dst, src, bytes);
#endif
}

/// Device to host; returns once the bytes are on the host, after the work queued before it (the one
/// place, with synchronize(device), where the host waits for the device).
inline void copy_to_host(device, void* dst, const void* src, std::size_t bytes) {
    if (bytes == 0) return;
    detail::count(device_stats().host_transfers);
#if LATENT_DEVICE_CUDA
    LATENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cuda::stream()));
    cuda::synchronize();
#else
    std::memcpy(dst, src, bytes);
#endif
}

/// Host to device, ordered after the work queued before it; the host buffer may be reused as soon
/// as this returns. CUDA only promises that a copy from pageable memory "might be synchronous", so
/// this waits for it: uploads are rare (data batches, tables rebuilt), kernels are not.
inline void copy_from_host(device, void* dst, const void* src, std::size_t bytes) {
    if (bytes == 0) return;
    detail::count(device_stats().host_transfers);
#if LATENT_DEVICE_CUDA
    LATENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cuda::stream()));
    cuda::synchronize();
#else
    std::memcpy(dst, src, bytes);
#endif
}

}  // namespace latent
