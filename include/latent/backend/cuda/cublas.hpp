// latent/backend/cuda/cublas.hpp: row-major GEMM on cuBLAS. CUDA only.
//
// cuBLAS is column-major; latent's matrices are row-major. The memory of a
// row-major matrix X is the column-major matrix Xᵀ, so a row-major
//   C = α·op(A)·op(B) + β·C
// is computed as the column-major
//   Cᵀ = α·op(B)ᵀ·op(A)ᵀ + β·Cᵀ:
// the operands swap places, m and n swap, and each keeps its own transposition
// flag. This is the only place the two layouts meet.
#pragma once

#if !defined(__CUDACC__)
#error "latent/backend/cuda/cublas.hpp is CUDA-only: include it only when __CUDACC__ is defined"
#endif

#include <climits>
#include <cstddef>

#include "latent/backend/cuda/check.hpp"

namespace latent::cuda {

/// This thread's cuBLAS handle, created on first use, on the default stream (the one Thrust's kernels use).
inline cublasHandle_t blas_handle() {
    struct owner {
        cublasHandle_t handle = nullptr;
        ~owner() {
            if (handle) (void)cublasDestroy(handle);  // at thread exit; the context may be gone already
        }
    };
    thread_local owner o;
    if (!o.handle) LATENT_CUBLAS_CHECK(cublasCreate(&o.handle));
    return o.handle;
}

namespace detail {
inline int blas_int(std::size_t v, const char* what) {
    LATENT_CHECK(v <= static_cast<std::size_t>(INT_MAX), config_error, "gemm(device): ", what, " = ", v,
                 " exceeds cuBLAS's 32-bit sizes");
    return static_cast<int>(v);
}
inline cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                const float* alpha, const float* a, int lda, const float* b, int ldb,
                                const float* beta, float* c, int ldc) {
    return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                const double* alpha, const double* a, int lda, const double* b, int ldb,
                                const double* beta, double* c, int ldc) {
    return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
}  // namespace detail

/// Row-major C = alpha·op(A)·op(B) + beta·C with op(A) m×k, op(B) k×n, C m×n (see above).
/// requires: m, n, k ≥ 1; leading dimensions as for the cpu backend's gemm; device pointers.
template <class T>
void gemm_row_major(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                    std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    using detail::blas_int;
    LATENT_CUBLAS_CHECK(detail::gemm_call(blas_handle(), op_b, op_a, blas_int(n, "n"), blas_int(m, "m"),
                                          blas_int(k, "k"), &alpha, b, blas_int(ldb, "ldb"), a, blas_int(lda, "lda"),
                                          &beta, c, blas_int(ldc, "ldc")));
}

}  // namespace latent::cuda
