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
#include "latent/backend/cuda/stream.hpp"

namespace latent::cuda {

/// Bytes of the workspace each cuBLAS handle is given (NVIDIA's advice for Hopper): with its own
/// workspace cuBLAS allocates nothing per call, which CUDA Graph capture requires.
inline constexpr std::size_t blas_workspace_bytes = std::size_t(32) << 20;

/// This thread's cuBLAS handle, created on first use, on latent's stream (where the kernels run),
/// with a workspace of its own.
inline cublasHandle_t blas_handle() {
    struct owner {
        cublasHandle_t handle = nullptr;
        void* workspace = nullptr;
        ~owner() {  // at thread exit; the context may be gone already, so errors are ignored
            if (handle) (void)cublasDestroy(handle);
            if (workspace) (void)cudaFree(workspace);
        }
    };
    thread_local owner o;
    if (!o.handle) {
        LATENT_CUBLAS_CHECK(cublasCreate(&o.handle));
        LATENT_CUBLAS_CHECK(cublasSetStream(o.handle, stream()));
        LATENT_CUDA_CHECK(cudaMalloc(&o.workspace, blas_workspace_bytes));
        LATENT_CUBLAS_CHECK(cublasSetWorkspace(o.handle, o.workspace, blas_workspace_bytes));
    }
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
inline cublasStatus_t gemm_batched_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                        int k, const float* alpha, const float* a, int lda, long long sa,
                                        const float* b, int ldb, long long sb, const float* beta, float* c, int ldc,
                                        long long sc, int batch) {
    return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
}
inline cublasStatus_t gemm_batched_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                        int k, const double* alpha, const double* a, int lda, long long sa,
                                        const double* b, int ldb, long long sb, const double* beta, double* c, int ldc,
                                        long long sc, int batch) {
    return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch);
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

/// Row-major batched C_b = alpha·op(A_b)·op(B_b) + beta·C_b for b < batch, X_b = x + b·stride_x
/// (strides in elements), through cublas<T>gemmStridedBatched with the same operand swap as gemm_row_major.
/// requires: m, n, k, batch ≥ 1; device pointers.
template <class T>
void gemm_strided_batched_row_major(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                                    const T* a, std::size_t lda, std::size_t stride_a, const T* b, std::size_t ldb,
                                    std::size_t stride_b, T beta, T* c, std::size_t ldc, std::size_t stride_c,
                                    std::size_t batch) {
    const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    using detail::blas_int;
    LATENT_CUBLAS_CHECK(detail::gemm_batched_call(
        blas_handle(), op_b, op_a, blas_int(n, "n"), blas_int(m, "m"), blas_int(k, "k"), &alpha, b,
        blas_int(ldb, "ldb"), static_cast<long long>(stride_b), a, blas_int(lda, "lda"),
        static_cast<long long>(stride_a), &beta, c, blas_int(ldc, "ldc"), static_cast<long long>(stride_c),
        blas_int(batch, "batch")));
}

}  // namespace latent::cuda
