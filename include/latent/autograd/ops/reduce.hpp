// latent/autograd/ops/reduce.hpp: sums, means and log-sum-exp.
//
// Reductions read a tensor as its matrix view (first extent × the rest):
// `_rows` reduces each row to one value (shape [N, 1]), `_cols` each column
// (shape [1, D]); both keep the reduced axis so results broadcast back.
#pragma once

#include <cmath>

#include "latent/autograd/ops/elementwise.hpp"

namespace latent {

namespace kernels {
/// out[i] = g[i / period]·s : spreads one value per block of `period` over the block.
template <class T>
struct spread_prefix {
    const T* g;
    T* out;
    std::size_t period;
    T s;
    LATENT_HD void operator()(std::size_t i) const { out[i] = g[i / period] * s; }
};
/// out[i] = g[i % period]·s : repeats a row of `period` values down the rows.
template <class T>
struct spread_suffix {
    const T* g;
    T* out;
    std::size_t period;
    T s;
    LATENT_HD void operator()(std::size_t i) const { out[i] = g[i % period] * s; }
};
}  // namespace kernels

namespace detail {
template <scalar T, backend B>
var<T, B> reduce_rows_scaled(const char* name, const var<T, B>& x, std::int64_t rows, std::int64_t cols, T s,
                             const shape& result) {
    tensor<T, B> y(result);
    row_sums(B{}, x.value().data(), static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), y.data());
    if (s != T(1)) launch(B{}, y.size(), kernels::scale<T>{y.data(), s});
    return record(name, y, {&x}, [xs = x.shape(), cols, s](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(xs);
        launch(B{}, dx.size(), kernels::spread_prefix<T>{g.data(), dx.data(), static_cast<std::size_t>(cols), s});
        inputs.add(0, std::move(dx));
    });
}
template <scalar T, backend B>
var<T, B> reduce_cols_scaled(const char* name, const var<T, B>& x, T s) {
    const std::int64_t rows = x.rows(), cols = x.cols();
    tensor<T, B> y(shape{1, cols});
    column_sums(B{}, x.value().data(), static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), y.data());
    if (s != T(1)) launch(B{}, y.size(), kernels::scale<T>{y.data(), s});
    return record(name, y, {&x}, [xs = x.shape(), cols, s](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(xs);
        launch(B{}, dx.size(), kernels::spread_suffix<T>{g.data(), dx.data(), static_cast<std::size_t>(cols), s});
        inputs.add(0, std::move(dx));
    });
}
}  // namespace detail

/// Σ of all elements, as a rank-0 tensor.
template <scalar T, backend B>
var<T, B> sum(const var<T, B>& x) {
    return detail::reduce_rows_scaled("sum", x, 1, x.numel(), T(1), shape{});
}
/// Mean of all elements, as a rank-0 tensor; throws shape_error on an empty tensor.
template <scalar T, backend B>
var<T, B> mean(const var<T, B>& x) {
    LATENT_CHECK(x.numel() > 0, shape_error, "mean: empty tensor ", x.shape());
    return detail::reduce_rows_scaled("mean", x, 1, x.numel(), T(1) / T(x.numel()), shape{});
}
/// Σ over each row of the matrix view: [N, ...] → [N, 1].
template <scalar T, backend B>
var<T, B> sum_rows(const var<T, B>& x) {
    return detail::reduce_rows_scaled("sum_rows", x, x.rows(), x.cols(), T(1), shape{x.rows(), 1});
}
/// Mean over each row of the matrix view: [N, ...] → [N, 1].
template <scalar T, backend B>
var<T, B> mean_rows(const var<T, B>& x) {
    LATENT_CHECK(x.cols() > 0, shape_error, "mean_rows: rows of ", x.shape(), " are empty");
    return detail::reduce_rows_scaled("mean_rows", x, x.rows(), x.cols(), T(1) / T(x.cols()), shape{x.rows(), 1});
}
/// Σ down each column of the matrix view: [N, D] → [1, D].
template <scalar T, backend B>
var<T, B> sum_cols(const var<T, B>& x) {
    return detail::reduce_cols_scaled("sum_cols", x, T(1));
}
/// Mean down each column of the matrix view: [N, D] → [1, D].
template <scalar T, backend B>
var<T, B> mean_cols(const var<T, B>& x) {
    LATENT_CHECK(x.rows() > 0, shape_error, "mean_cols: no rows in ", x.shape());
    return detail::reduce_cols_scaled("mean_cols", x, T(1) / T(x.rows()));
}

namespace kernels {
/// log Σ exp of one row of `cols` values, with the maximum taken out first so
/// that nothing overflows; a row whose maximum is ±inf or NaN gives that value.
template <class T>
LATENT_HD T row_logsumexp(const T* row, std::size_t cols) {
    using std::exp;
    using std::log;
    T m = row[0];
    for (std::size_t c = 1; c < cols; ++c) m = row[c] > m ? row[c] : m;
    if (!(m - m == T(0))) return m;
    T s = T(0);
    for (std::size_t c = 0; c < cols; ++c) s += exp(row[c] - m);
    return m + log(s);
}
/// One row per work item: out[r] = log Σ_c exp(x[r, c]).
template <class T>
struct logsumexp_rows {
    const T* x;
    T* out;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const { out[r] = row_logsumexp(x + r * cols, cols); }
};
/// dx = g_row · softmax(x)_row = g · exp(x - lse)
template <class T>
struct logsumexp_rows_backward {
    const T* x;
    const T* lse;
    const T* g;
    T* dx;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t i) const {
        using std::exp;
        const std::size_t r = i / cols;
        dx[i] = g[r] * exp(x[i] - lse[r]);
    }
};
}  // namespace kernels

/// log Σ exp over each row of the matrix view, stable for large inputs: [N, D] → [N, 1].
template <scalar T, backend B>
var<T, B> logsumexp_rows(const var<T, B>& x) {
    LATENT_CHECK(x.cols() > 0, shape_error, "logsumexp_rows: rows of ", x.shape(), " are empty");
    const auto cols = static_cast<std::size_t>(x.cols());
    tensor<T, B> y(shape{x.rows(), 1});
    launch_coarse(B{}, y.size(), kernels::logsumexp_rows<T>{x.value().data(), y.data(), cols});
    return record("logsumexp_rows", y, {&x}, [x = x.value(), y, cols](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(x.shape());
        launch(B{}, dx.size(), kernels::logsumexp_rows_backward<T>{x.data(), y.data(), g.data(), dx.data(), cols});
        inputs.add(0, std::move(dx));
    });
}

}  // namespace latent
