// latent/backend/device/blas.hpp: dense algebra of the device backend.
//
// GEMM goes to cuBLAS under CUDA (backend/cuda/cublas.hpp, where the row-major
// layout is handled) and, on Thrust's host systems, to the cpu backend's Eigen
// GEMM, which is then the fastest correct thing to run on that memory; either
// way it counts as one device launch. Row and column sums are in reduce.hpp
// (CUB under CUDA, Thrust on the host systems), never the cpu backend's Eigen sums.
#pragma once

#include "latent/backend/device/system.hpp"  // first: see there

#include <cstddef>

#include "latent/backend/cpu/blas.hpp"
#include "latent/backend/device/counters.hpp"
#include "latent/backend/device/launch.hpp"
#include "latent/backend/device/memory.hpp"
#include "latent/backend/tags.hpp"
#include "latent/config.hpp"

#if LATENT_DEVICE_CUDA
#include "latent/backend/cuda/cublas.hpp"
#endif

namespace latent {

// Declared before use: the arena below checks latent::backend<device>, which asks for all three.
template <class T>
void gemm(device, bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);
template <class T>
void column_sums(device, const T* x, std::size_t rows, std::size_t cols, T* out);
template <class T>
void row_sums(device, const T* x, std::size_t rows, std::size_t cols, T* out);

}  // namespace latent

#include "latent/tensor/arena.hpp"

namespace latent {

namespace kernels {

/// C[r, c] = beta·C[r, c] for an m×n block with leading dimension ldc; beta = 0 writes zeros (NaN in C ignored).
template <class T>
struct scale_block {
    T* c;
    T beta;
    std::size_t n, ldc;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / n, col = i - r * n;
        T& v = c[r * ldc + col];
        v = beta == T(0) ? T(0) : beta * v;
    }
};

/// C_b[r, c] = beta·C_b[r, c] for `batch` m×n blocks, C_b = c + b·stride; i runs over batch·m·n.
template <class T>
struct scale_blocks {
    T* c;
    T beta;
    std::size_t m, n, ldc, stride;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t per = m * n, b = i / per, rest = i - b * per, r = rest / n, col = rest - r * n;
        T& v = c[b * stride + r * ldc + col];
        v = beta == T(0) ? T(0) : beta * v;
    }
};

}  // namespace kernels

/// C = alpha·op(A)·op(B) + beta·C, row-major, with the cpu backend's contract (blas.hpp): op(A) m×k,
/// op(B) k×n, C m×n; beta = 0 ignores what C held. CUDA: cuBLAS (no TF32: full float precision).
/// Host systems: the cpu backend's Eigen GEMM on the same memory.
/// ensures: device_stats().gemms and .launches grow by one per call.
template <class T>
void gemm(device, bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    detail::count(device_stats().gemms);
#if LATENT_DEVICE_CUDA
    if (m == 0 || n == 0) {
        detail::count(device_stats().launches);
        return;
    }
    if (k == 0 || alpha == T(0)) {  // nothing to multiply: C = beta·C
        launch(device{}, m * n, kernels::scale_block<T>{c, beta, n, ldc});
        return;
    }
    detail::count(device_stats().launches);
    cuda::gemm_row_major(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    detail::count(device_stats().launches);
    gemm(cpu{}, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

/// Batched GEMM with the cpu backend's contract (cpu/blas.hpp, gemm_batched): for b < batch,
/// C_b = alpha·op(A_b)·op(B_b) + beta·C_b with X_b = x + b·stride_x. CUDA: one
/// cublas<T>gemmStridedBatched call. Host systems: the cpu backend's GEMM, one product after another.
/// ensures: device_stats().gemms and .launches grow by one per call, whatever the batch.
template <class T>
void gemm_batched(device, bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                  const T* a, std::size_t lda, std::size_t stride_a, const T* b, std::size_t ldb, std::size_t stride_b,
                  T beta, T* c, std::size_t ldc, std::size_t stride_c, std::size_t batch) {
    detail::count(device_stats().gemms);
#if LATENT_DEVICE_CUDA
    if (m == 0 || n == 0 || batch == 0) {
        detail::count(device_stats().launches);
        return;
    }
    if (k == 0 || alpha == T(0)) {  // nothing to multiply: C_b = beta·C_b
        launch(device{}, batch * m * n, kernels::scale_blocks<T>{c, beta, m, n, ldc, stride_c});
        return;
    }
    detail::count(device_stats().launches);
    cuda::gemm_strided_batched_row_major(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c,
                                         ldc, stride_c, batch);
#else
    detail::count(device_stats().launches);
    gemm_batched(cpu{}, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
                 batch);
#endif
}

}  // namespace latent

// Row and column sums: CUB and Thrust (declared above, for the arena).
#include "latent/backend/device/reduce.hpp"
