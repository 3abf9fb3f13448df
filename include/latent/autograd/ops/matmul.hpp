// latent/autograd/ops/matmul.hpp: matrix products.
#pragma once

#include "latent/autograd/ops/reduce.hpp"

namespace latent {

namespace detail {
inline void check_matrix(const char* op, const char* what, const shape& s) {
    LATENT_CHECK(s.rank() == 2, shape_error, op, ": ", what, " must be a matrix, got ", s);
}
}  // namespace detail

/// a·b for matrices a [M, K] and b [K, N].
template <scalar T, backend B>
var<T, B> matmul(const var<T, B>& a, const var<T, B>& b) {
    detail::check_matrix("matmul", "left operand", a.shape());
    detail::check_matrix("matmul", "right operand", b.shape());
    LATENT_CHECK(a.dim(1) == b.dim(0), shape_error, "matmul: ", a.shape(), " times ", b.shape(),
                 ": inner extents differ");
    const auto M = static_cast<std::size_t>(a.dim(0)), K = static_cast<std::size_t>(a.dim(1)),
               N = static_cast<std::size_t>(b.dim(1));
    tensor<T, B> y(shape{a.dim(0), b.dim(1)});
    gemm(B{}, false, false, M, N, K, T(1), a.value().data(), K, b.value().data(), N, T(0), y.data(), N);
    return record("matmul", y, {&a, &b}, [a = a.value(), b = b.value(), M, N, K](tensor<T, B>& g, auto& inputs) {
        if (inputs.needs(0)) {  // dA = G·Bᵀ
            tensor<T, B> da(a.shape());
            gemm(B{}, false, true, M, K, N, T(1), g.data(), N, b.data(), N, T(0), da.data(), K);
            inputs.add(0, std::move(da));
        }
        if (inputs.needs(1)) {  // dB = Aᵀ·G
            tensor<T, B> db(b.shape());
            gemm(B{}, true, false, K, N, M, T(1), a.data(), K, g.data(), N, T(0), db.data(), N);
            inputs.add(1, std::move(db));
        }
    });
}

namespace kernels {
/// y[r, c] += bias[c]
template <class T>
struct add_row_vector {
    T* y;
    const T* bias;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t i) const { y[i] += bias[i % cols]; }
};
}  // namespace kernels

/// x·Wᵀ + b, PyTorch's Linear: x [N, in] (or [N, ...] flattened), W [out, in], b [out] or undefined.
/// One op on the tape instead of three, because small layers are overhead-bound.
template <scalar T, backend B>
var<T, B> linear(const var<T, B>& x, const var<T, B>& w, const var<T, B>& b) {
    detail::check_matrix("linear", "weight", w.shape());
    const bool has_bias = b.value().defined();
    LATENT_CHECK(x.cols() == w.dim(1), shape_error, "linear: input ", x.shape(), " against weight ", w.shape(),
                 ": input features differ");
    LATENT_CHECK(!has_bias || b.numel() == w.dim(0), shape_error, "linear: bias ", b.shape(), " against weight ",
                 w.shape());
    const auto N = static_cast<std::size_t>(x.rows()), K = static_cast<std::size_t>(x.cols()),
               M = static_cast<std::size_t>(w.dim(0));
    tensor<T, B> y(shape{x.rows(), w.dim(0)});
    gemm(B{}, false, true, N, M, K, T(1), x.value().data(), K, w.value().data(), K, T(0), y.data(), M);
    if (has_bias) launch(B{}, y.size(), kernels::add_row_vector<T>{y.data(), b.value().data(), M});
    return record("linear", y, {&x, &w, &b},
                  [x = x.value(), w = w.value(), bs = b.value().defined() ? b.shape() : shape{}, N, K, M](
                      tensor<T, B>& g, auto& inputs) {
                      if (inputs.needs(0)) {  // dx = G·W
                          tensor<T, B> dx(x.shape());
                          gemm(B{}, false, false, N, K, M, T(1), g.data(), M, w.data(), K, T(0), dx.data(), K);
                          inputs.add(0, std::move(dx));
                      }
                      if (inputs.needs(1)) {  // dW = Gᵀ·x
                          tensor<T, B> dw(w.shape());
                          gemm(B{}, true, false, M, K, N, T(1), g.data(), M, x.data(), K, T(0), dw.data(), K);
                          inputs.add(1, std::move(dw));
                      }
                      if (inputs.needs(2)) {  // db = column sums of G
                          tensor<T, B> db(bs);
                          column_sums(B{}, g.data(), N, M, db.data());
                          inputs.add(2, std::move(db));
                      }
                  });
}

/// x·Wᵀ without bias.
template <scalar T, backend B>
var<T, B> linear(const var<T, B>& x, const var<T, B>& w) {
    return linear(x, w, var<T, B>());
}

}  // namespace latent
