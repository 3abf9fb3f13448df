// latent/backend/cpu/blas.hpp: dense algebra for the cpu backend, on Eigen.
//
// All matrices are row-major with an explicit leading dimension, the layout of
// a tensor's matrix view; Eigen maps them without copying.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdlib>

#include "latent/core/error.hpp"
#include "latent/config.hpp"

#include "latent/backend/tags.hpp"

#if LATENT_HAS_OPENMP
#include <omp.h>
#endif

namespace latent {

namespace detail {
template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using const_row_map = Eigen::Map<const row_matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using row_map = Eigen::Map<row_matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
}  // namespace detail

namespace detail {

/// Packing buffers for Eigen's GEMM kernel, owned by the calling thread and
/// grown on demand: after warm-up a product allocates nothing. (Eigen's own
/// product allocates its packing buffers on the heap for large operands, and
/// its OpenMP path on every call.)
class gemm_workspace {
public:
    template <class T>
    T* get(std::size_t count) {
        const std::size_t bytes = count * sizeof(T);
        if (bytes > capacity_) {
            std::free(data_);
            capacity_ = bytes + bytes / 4;
            data_ = std::aligned_alloc(64, (capacity_ + 63) / 64 * 64);
            LATENT_CHECK(data_ != nullptr, error, "gemm: out of memory for ", capacity_, " bytes of packing buffers");
        }
        return static_cast<T*>(data_);
    }
    ~gemm_workspace() { std::free(data_); }

private:
    void* data_ = nullptr;
    std::size_t capacity_ = 0;
};

/// Eigen's blocking with buffers we provide.
template <class T>
struct provided_blocking : Eigen::internal::level3_blocking<T, T> {
    provided_blocking(Eigen::Index mc, Eigen::Index nc, Eigen::Index kc, T* a, T* b) {
        this->m_mc = mc;
        this->m_nc = nc;
        this->m_kc = kc;
        this->m_blockA = a;
        this->m_blockB = b;
    }
};

/// C += alpha·op(A)·op(B) on the calling thread, through Eigen's packed GEBP kernel.
template <class T, int LhsOrder, int RhsOrder>
void gemm_serial(Eigen::Index m, Eigen::Index n, Eigen::Index k, T alpha, const T* a, Eigen::Index lda, const T* b,
                 Eigen::Index ldb, T* c, Eigen::Index ldc) {
    using namespace Eigen;
    using product = internal::general_matrix_matrix_product<Index, T, LhsOrder, false, T, RhsOrder, false, RowMajor, 1>;
    // Block sizes as Eigen would choose them for this problem, computed without allocating.
    internal::gemm_blocking_space<RowMajor, T, T, Dynamic, Dynamic, Dynamic, 1, false> sizes(m, n, k, 1, true);
    const Index mc = sizes.mc(), nc = sizes.nc(), kc = sizes.kc();
    thread_local gemm_workspace space_a, space_b;
    provided_blocking<T> blocking(mc, nc, kc, space_a.get<T>(static_cast<std::size_t>(mc * kc)),
                                  space_b.get<T>(static_cast<std::size_t>(kc * nc)));
    product::run(m, n, k, a, lda, b, ldb, c, 1, ldc, alpha, blocking, nullptr);
}

template <class T>
void gemm_accumulate(bool trans_a, bool trans_b, Eigen::Index m, Eigen::Index n, Eigen::Index k, T alpha, const T* a,
                     Eigen::Index lda, const T* b, Eigen::Index ldb, T* c, Eigen::Index ldc) {
    using Eigen::ColMajor;
    using Eigen::RowMajor;
    // A row-major matrix read transposed is the same memory read column-major.
    if (!trans_a && !trans_b) gemm_serial<T, RowMajor, RowMajor>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    else if (trans_a && !trans_b) gemm_serial<T, ColMajor, RowMajor>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    else if (!trans_a && trans_b) gemm_serial<T, RowMajor, ColMajor>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
    else gemm_serial<T, ColMajor, ColMajor>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
}

/// Products below this many multiply-adds run on one thread: splitting them costs more than it saves.
inline constexpr double gemm_parallel_threshold = 1 << 20;

}  // namespace detail

/// C = alpha * op(A) * op(B) + beta * C, with op(X) = X or Xᵀ, all row-major.
/// op(A) is m×k, op(B) is k×n, C is m×n. beta = 0 ignores what C held (NaN included).
/// Large products are split over OpenMP threads along the longer side of C;
/// no call allocates after the first of its size on a thread.
template <class T>
void gemm(cpu, bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    using Eigen::Index;
    const auto M = static_cast<Index>(m), N = static_cast<Index>(n), K = static_cast<Index>(k);
    if (M == 0 || N == 0) return;
    detail::row_map<T> C(c, M, N, Eigen::OuterStride<>(static_cast<Index>(ldc)));
    if (beta == T(0)) C.setZero();
    else if (beta != T(1)) C *= beta;
    if (K == 0 || alpha == T(0)) return;
    const auto LDA = static_cast<Index>(lda), LDB = static_cast<Index>(ldb), LDC = static_cast<Index>(ldc);
    int threads = 1;
#if LATENT_HAS_OPENMP
    if (double(m) * double(n) * double(k) >= detail::gemm_parallel_threshold && !omp_in_parallel())
        threads = omp_get_max_threads();
#endif
    if (threads <= 1) {
        detail::gemm_accumulate(trans_a, trans_b, M, N, K, alpha, a, LDA, b, LDB, c, LDC);
        return;
    }
#if LATENT_HAS_OPENMP
    const bool split_rows = M >= N;
    const Index extent = split_rows ? M : N;
    // Whole kernel panels per thread (Eigen's register blocks are at most 24 wide).
    const Index step = ((extent + threads - 1) / threads + 23) / 24 * 24;
#pragma omp parallel num_threads(threads)
    {
        const Index begin = std::min<Index>(extent, omp_get_thread_num() * step);
        const Index end = std::min<Index>(extent, begin + step);
        if (begin < end) {
            if (split_rows) {
                const T* a_part = trans_a ? a + begin : a + begin * LDA;
                detail::gemm_accumulate(trans_a, trans_b, end - begin, N, K, alpha, a_part, LDA, b, LDB, c + begin * LDC,
                                        LDC);
            } else {
                const T* b_part = trans_b ? b + begin * LDB : b + begin;
                detail::gemm_accumulate(trans_a, trans_b, M, end - begin, K, alpha, a, LDA, b_part, LDB, c + begin,
                                        LDC);
            }
        }
    }
#endif
}

/// out[c] = sum over rows r of x[r, c]: one value per column of a rows×cols matrix.
template <class T>
void column_sums(cpu, const T* x, std::size_t rows, std::size_t cols, T* out) {
    using map = Eigen::Map<const detail::row_matrix<T>>;
    Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> o(out, static_cast<Eigen::Index>(cols));
    if (rows == 0) {
        o.setZero();
        return;
    }
    o = map(x, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols)).colwise().sum();
}

/// out[r] = sum over columns c of x[r, c]: one value per row of a rows×cols matrix.
template <class T>
void row_sums(cpu, const T* x, std::size_t rows, std::size_t cols, T* out) {
    using map = Eigen::Map<const detail::row_matrix<T>>;
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> o(out, static_cast<Eigen::Index>(rows));
    if (cols == 0) {
        o.setZero();
        return;
    }
    o = map(x, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols)).rowwise().sum();
}

/// Batched GEMM, row-major: for every b < batch,
///   C_b = alpha·op(A_b)·op(B_b) + beta·C_b,  A_b = a + b·stride_a, B_b = b + b·stride_b, C_b = c + b·stride_c
/// (strides in elements), each product with gemm's contract. The cpu backend runs the products one
/// after another, each one free to use every core.
template <class T>
void gemm_batched(cpu, bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                  std::size_t lda, std::size_t stride_a, const T* b, std::size_t ldb, std::size_t stride_b, T beta, T* c,
                  std::size_t ldc, std::size_t stride_c, std::size_t batch) {
    for (std::size_t i = 0; i < batch; ++i)
        gemm(cpu{}, trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta,
             c + i * stride_c, ldc);
}

}  // namespace latent
