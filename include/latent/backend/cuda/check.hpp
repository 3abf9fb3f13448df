// latent/backend/cuda/check.hpp: every CUDA runtime and cuBLAS call, checked.
//
// Wrap each call in LATENT_CUDA_CHECK(...) (runtime API) or
// LATENT_CUBLAS_CHECK(...) (cuBLAS): a failure throws latent::cuda_error
// naming the call as written, the file and line, and the library's own name
// and description of the error. Included only under nvcc.
#pragma once

#if !defined(__CUDACC__)
#error "latent/backend/cuda/check.hpp is CUDA-only: include it only when __CUDACC__ is defined"
#endif

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "latent/core/error.hpp"

namespace latent::cuda::detail {

[[noreturn]] inline void fail(const char* call, const char* file, int line, const char* name, const char* what) {
    throw cuda_error(::latent::detail::concat(call, " failed at ", file, ":", line, ": ", name, " (", what, ")"));
}

inline void check(cudaError_t status, const char* call, const char* file, int line) {
    if (status != cudaSuccess) [[unlikely]] {
        (void)cudaGetLastError();  // reset a non-sticky error, so that the next check does not report it again
        fail(call, file, line, cudaGetErrorName(status), cudaGetErrorString(status));
    }
}

inline void check(cublasStatus_t status, const char* call, const char* file, int line) {
    if (status != CUBLAS_STATUS_SUCCESS) [[unlikely]]
        fail(call, file, line, cublasGetStatusName(status), cublasGetStatusString(status));
}

}  // namespace latent::cuda::detail

/// Runs a CUDA runtime call; throws latent::cuda_error naming it, the file and line when it fails.
#define LATENT_CUDA_CHECK(...) ::latent::cuda::detail::check((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
/// Runs a cuBLAS call; throws latent::cuda_error naming it, the file and line when it fails.
#define LATENT_CUBLAS_CHECK(...) ::latent::cuda::detail::check((__VA_ARGS__), #__VA_ARGS__, __FILE__, __LINE__)
