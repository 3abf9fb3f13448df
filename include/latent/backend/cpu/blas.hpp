// latent/backend/cpu/blas.hpp: dense algebra for the cpu backend, on Eigen.
//
// All matrices are row-major with an explicit leading dimension, the layout of
// a tensor's matrix view; Eigen maps them without copying.
#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "latent/backend/tags.hpp"

namespace latent {

namespace detail {
template <class T>
using row_matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using const_row_map = Eigen::Map<const row_matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using row_map = Eigen::Map<row_matrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
}  // namespace detail

/// C = alpha * op(A) * op(B) + beta * C, with op(X) = X or Xᵀ, all row-major.
/// op(A) is m×k, op(B) is k×n, C is m×n. beta = 0 ignores what C held (NaN included).
template <class T>
void gemm(cpu, bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    using detail::const_row_map;
    const auto M = static_cast<Eigen::Index>(m), N = static_cast<Eigen::Index>(n), K = static_cast<Eigen::Index>(k);
    detail::row_map<T> C(c, M, N, Eigen::OuterStride<>(static_cast<Eigen::Index>(ldc)));
    if (K == 0) {
        if (beta == T(0)) C.setZero();
        else C *= beta;
        return;
    }
    const_row_map<T> A(a, trans_a ? K : M, trans_a ? M : K, Eigen::OuterStride<>(static_cast<Eigen::Index>(lda)));
    const_row_map<T> B(b, trans_b ? N : K, trans_b ? K : N, Eigen::OuterStride<>(static_cast<Eigen::Index>(ldb)));
    if (beta == T(0)) C.setZero();
    else if (beta != T(1)) C *= beta;
    // Four branches so that Eigen sees plain transposes and picks its packed kernels.
    if (!trans_a && !trans_b) C.noalias() += alpha * A * B;
    else if (trans_a && !trans_b) C.noalias() += alpha * A.transpose() * B;
    else if (!trans_a && trans_b) C.noalias() += alpha * A * B.transpose();
    else C.noalias() += alpha * A.transpose() * B.transpose();
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

}  // namespace latent
