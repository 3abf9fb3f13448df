// latent/backend/device/blas.hpp: dense algebra of the device backend.
//
// GEMM goes to cuBLAS under CUDA (backend/cuda/cublas.hpp, where the row-major
// layout is handled) and, on Thrust's host systems, to the cpu backend's Eigen
// GEMM, which is then the fastest correct thing to run on that memory; either
// way it counts as one device launch. Row and column sums are kernels of this
// file run through the launch layer, never the cpu backend's Eigen sums: one
// work item per row (column) for short ones, and for long ones a first pass
// over runs of `device_sum_run` values and a second over the partial sums,
// so that a GPU has enough threads. Partial sums are doubles, taken in a fixed
// order whatever the system, so every run gives the same bits.
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

/// Values one work item of a long row or column sum adds up (the first of two passes).
inline constexpr std::size_t device_sum_run = 1024;

namespace kernels {

/// out[i] = Σ x[r, c] over the run c ∈ [p·run, min(cols, (p + 1)·run)) of row r, with
/// r = i / parts and p = i mod parts; x is rows × cols, row-major. Sums in double.
template <class T, class Out>
struct sum_row_runs {
    const T* x;
    Out* out;
    std::size_t cols, run, parts;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / parts, p = i - r * parts;
        const std::size_t lo = p * run, hi = lo + run < cols ? lo + run : cols;
        const T* row = x + r * cols;
        double s = 0;
        for (std::size_t c = lo; c < hi; ++c) s += static_cast<double>(row[c]);
        out[i] = static_cast<Out>(s);
    }
};

/// out[i] = Σ x[r, c] over the run r ∈ [p·run, min(rows, (p + 1)·run)) of column c, with
/// p = i / cols and c = i mod cols (neighbouring items read neighbouring memory). Sums in double.
template <class T, class Out>
struct sum_column_runs {
    const T* x;
    Out* out;
    std::size_t rows, cols, run;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t p = i / cols, c = i - p * cols;
        const std::size_t lo = p * run, hi = lo + run < rows ? lo + run : rows;
        double s = 0;
        for (std::size_t r = lo; r < hi; ++r) s += static_cast<double>(x[r * cols + c]);
        out[i] = static_cast<Out>(s);
    }
};

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

namespace detail {
/// Scratch for the partial sums of a two-pass reduction, from the device arena (no allocation in steady state).
inline buffer<device> sum_scratch(std::size_t count) { return buffer<device>(count * sizeof(double)); }
}  // namespace detail

/// out[c] = Σ over rows r of x[r, c], for a rows × cols row-major matrix on the device (zeros when rows = 0).
template <class T>
void column_sums(device, const T* x, std::size_t rows, std::size_t cols, T* out) {
    if (rows <= 2 * device_sum_run) {
        launch(device{}, cols, kernels::sum_column_runs<T, T>{x, out, rows, cols, rows});
        return;
    }
    const std::size_t parts = (rows + device_sum_run - 1) / device_sum_run;
    buffer<device> scratch = detail::sum_scratch(parts * cols);
    auto* partial = static_cast<double*>(scratch.data());
    launch(device{}, parts * cols, kernels::sum_column_runs<T, double>{x, partial, rows, cols, device_sum_run});
    launch(device{}, cols, kernels::sum_column_runs<double, T>{partial, out, parts, cols, parts});
}

/// out[r] = Σ over columns c of x[r, c], for a rows × cols row-major matrix on the device (zeros when cols = 0).
template <class T>
void row_sums(device, const T* x, std::size_t rows, std::size_t cols, T* out) {
    if (cols <= 2 * device_sum_run) {
        launch(device{}, rows, kernels::sum_row_runs<T, T>{x, out, cols, cols, 1});
        return;
    }
    const std::size_t parts = (cols + device_sum_run - 1) / device_sum_run;
    buffer<device> scratch = detail::sum_scratch(rows * parts);
    auto* partial = static_cast<double*>(scratch.data());
    launch(device{}, rows * parts, kernels::sum_row_runs<T, double>{x, partial, cols, device_sum_run, parts});
    launch(device{}, rows, kernels::sum_row_runs<double, T>{partial, out, parts, parts, 1});
}

}  // namespace latent
