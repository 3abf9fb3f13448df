// latent/autograd/ops/shape.hpp: ops that move values between columns and
// rows: concatenation and slicing of features, reshapes, one-hot codes, picking
// one column per row, and softmax over rows.
//
// All of them read a tensor as its matrix view (first extent × the rest), the
// layout a batch of feature vectors has. A slice of columns is not contiguous,
// so slicing copies (see tensor.hpp); reshape is a view. Integer labels and
// indices are checked on the backend that holds them, by a kernel that raises
// a flag, so that the check runs wherever the data lives; only on failure are
// they copied to the host, to name the bad one.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "latent/autograd/ops/reduce.hpp"
#include "latent/tensor/index.hpp"

namespace latent {

namespace kernels {
/// dst[r, dst_offset + c] = src[r, src_offset + c] for c < width: a block of
/// columns copied between two row-major matrices of row lengths src_stride and dst_stride.
template <class T>
struct copy_columns {
    const T* src;
    T* dst;
    std::size_t width, src_stride, src_offset, dst_stride, dst_offset;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / width, c = i - r * width;
        dst[r * dst_stride + dst_offset + c] = src[r * src_stride + src_offset + c];
    }
};
/// dst [rows, cols] = src [rows, end - begin] placed in columns [begin, end), zero elsewhere.
template <class T>
struct embed_columns {
    const T* src;
    T* dst;
    std::size_t cols, begin, end;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / cols, c = i - r * cols;
        dst[i] = (c >= begin && c < end) ? src[r * (end - begin) + (c - begin)] : T(0);
    }
};
/// out[r, c] = (labels[r] == c)
template <class T>
struct one_hot {
    const std::int32_t* labels;
    T* out;
    std::size_t classes;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / classes, c = i - r * classes;
        out[i] = static_cast<std::size_t>(labels[r]) == c ? T(1) : T(0);
    }
};
/// y[r] = x[r, idx[r]]
template <class T>
struct gather_cols {
    const T* x;
    const std::int32_t* idx;
    T* y;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const { y[r] = x[r * cols + static_cast<std::size_t>(idx[r])]; }
};
/// dx[r, c] = g[r] where c == idx[r], else 0: the scatter that undoes gather_cols, written whole.
template <class T>
struct scatter_cols {
    const T* g;
    const std::int32_t* idx;
    T* dx;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / cols, c = i - r * cols;
        dx[i] = static_cast<std::size_t>(idx[r]) == c ? g[r] : T(0);
    }
};
/// One row per work item: y = softmax(x), or log softmax(x) when Log; max subtracted first.
template <class T, bool Log>
struct softmax_rows {
    const T* x;
    T* y;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const {
        using std::exp;
        const T* in = x + r * cols;
        T* out = y + r * cols;
        const T lse = row_logsumexp(in, cols);
        for (std::size_t c = 0; c < cols; ++c) out[c] = Log ? in[c] - lse : exp(in[c] - lse);
    }
};
/// One row per work item. softmax: dx = y ⊙ (g - Σ g·y); log softmax: dx = g - eʸ Σ g.
template <class T, bool Log>
struct softmax_rows_backward {
    const T* y;
    const T* g;
    T* dx;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const {
        using std::exp;
        const std::size_t base = r * cols;
        T s = T(0);
        for (std::size_t c = 0; c < cols; ++c) s += Log ? g[base + c] : g[base + c] * y[base + c];
        for (std::size_t c = 0; c < cols; ++c) {
            const std::size_t i = base + c;
            if constexpr (Log) dx[i] = g[i] - exp(y[i]) * s;
            else dx[i] = y[i] * (g[i] - s);
        }
    }
};
}  // namespace kernels

namespace detail {
/// Checks that `labels` holds one label per row ([N] or [N, 1]) for `rows` rows,
/// each in [0, limit); throws shape_error or config_error naming `op` and the
/// first bad label with its row. `what` names the values ("label", "index").
template <backend B>
void check_labels(const char* op, const char* what, const tensor<std::int32_t, B>& labels, std::int64_t rows,
                  std::int64_t limit, const shape& against) {
    LATENT_CHECK(labels.defined() && labels.rank() <= 2 && labels.numel() == labels.rows(), shape_error, op, ": ",
                 what, " tensor ", labels.defined() ? labels.shape().to_string() : std::string("(undefined)"),
                 " must hold one ", what, " per row ([N] or [N, 1])");
    LATENT_CHECK(labels.rows() == rows, shape_error, op, ": ", what, " tensor ", labels.shape(), " for ", rows,
                 " rows of ", against);
    if (labels.numel() == 0) return;
    auto flag = tensor<std::int32_t, B>::zeros(shape{});
    launch(B{}, labels.size(), kernels::flag_out_of_range{labels.data(), limit, flag.data()});
    if (flag.item() == 0) return;
    const std::vector<std::int32_t> host = labels.to_vector();
    const auto bad = std::find_if(host.begin(), host.end(), [&](std::int32_t v) { return v < 0 || v >= limit; });
    throw config_error(detail::concat(op, ": ", what, " ", *bad, " at row ", bad - host.begin(), " outside [0, ",
                                      limit, ") for ", against));
}

/// The shapes of up to max_op_inputs parts that share their first extent,
/// packed small enough for a tape closure (eight full shapes would not fit).
struct packed_part_shapes {
    std::array<std::int64_t, max_op_inputs * (shape::max_rank - 1)> trailing{};
    std::array<std::int8_t, max_op_inputs> rank{};

    void set(int k, const shape& s) {
        rank[k] = static_cast<std::int8_t>(s.rank());
        for (int d = 1; d < s.rank(); ++d) trailing[k * (shape::max_rank - 1) + d - 1] = s[d];
    }
    shape get(int k, std::int64_t rows) const {
        std::int64_t dims[shape::max_rank] = {rows};
        for (int d = 1; d < rank[k]; ++d) dims[d] = trailing[k * (shape::max_rank - 1) + d - 1];
        return shape::from_range(dims, dims + rank[k]);
    }
    /// Columns of part k's matrix view.
    std::int64_t cols(int k) const {
        std::int64_t n = 1;
        for (int d = 1; d < rank[k]; ++d) n *= trailing[k * (shape::max_rank - 1) + d - 1];
        return n;
    }
};

/// One concatenation op over at most max_op_inputs parts whose rows were checked.
template <scalar T, backend B>
var<T, B> concat_features_op(std::span<const var<T, B>> parts) {
    const std::int64_t rows = parts[0].rows();
    const int count = static_cast<int>(parts.size());
    packed_part_shapes shapes;
    std::int64_t total = 0;
    for (int k = 0; k < count; ++k) {
        shapes.set(k, parts[k].shape());
        total += parts[k].cols();
    }
    tensor<T, B> y(shape{rows, total});
    const auto R = static_cast<std::size_t>(rows), D = static_cast<std::size_t>(total);
    std::size_t offset = 0;
    for (int k = 0; k < count; ++k) {
        const auto w = static_cast<std::size_t>(parts[k].cols());
        launch(B{}, R * w, kernels::copy_columns<T>{parts[k].value().data(), y.data(), w, w, 0, D, offset});
        offset += w;
    }
    // The tape takes a fixed list of inputs: pad with constants, which never need a gradient.
    const var<T, B> none;
    const var<T, B>* in[max_op_inputs];
    for (int k = 0; k < max_op_inputs; ++k) in[k] = k < count ? &parts[k] : &none;
    static_assert(max_op_inputs == 8, "concat_features_op lists the tape's inputs one by one");
    return record("concat_features", y, {in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]},
                  [shapes, rows, total, count](tensor<T, B>& g, auto& inputs) {
                      const auto R = static_cast<std::size_t>(rows), D = static_cast<std::size_t>(total);
                      std::size_t offset = 0;
                      for (int k = 0; k < count; ++k) {
                          const auto w = static_cast<std::size_t>(shapes.cols(k));
                          if (inputs.needs(k)) {
                              tensor<T, B> dx(shapes.get(k, rows));
                              launch(B{}, R * w, kernels::copy_columns<T>{g.data(), dx.data(), w, D, offset, w, 0});
                              inputs.add(k, std::move(dx));
                          }
                          offset += w;
                      }
                  });
}
}  // namespace detail

/// Concatenates the columns of the matrix views of `parts` ([N, D₁], [N, D₂], …)
/// into [N, ΣDᵢ]. requires: at least one part; all parts have the same rows
/// (throws shape_error naming the first part that differs). ensures: one op on
/// the tape for up to max_op_inputs parts; more parts are joined in groups,
/// then the groups joined, with the same values and gradients.
template <scalar T, backend B>
var<T, B> concat_features(std::span<const var<T, B>> parts) {
    LATENT_CHECK(!parts.empty(), shape_error, "concat_features: no parts to concatenate");
    for (std::size_t k = 1; k < parts.size(); ++k)
        LATENT_CHECK(parts[k].rows() == parts[0].rows(), shape_error, "concat_features: part ", k, " of shape ",
                     parts[k].shape(), " has ", parts[k].rows(), " rows, part 0 of shape ", parts[0].shape(), " has ",
                     parts[0].rows());
    const auto chunk = static_cast<std::size_t>(max_op_inputs);
    if (parts.size() <= chunk) return detail::concat_features_op(parts);
    std::vector<var<T, B>> groups;
    groups.reserve((parts.size() + chunk - 1) / chunk);
    for (std::size_t k = 0; k < parts.size(); k += chunk)
        groups.push_back(detail::concat_features_op(parts.subspan(k, std::min(chunk, parts.size() - k))));
    return concat_features(std::span<const var<T, B>>(groups));
}
/// concat_features over a braced list: concat_features({a, b, c}).
template <scalar T, backend B>
var<T, B> concat_features(std::initializer_list<var<T, B>> parts) {
    return concat_features(std::span<const var<T, B>>(parts.begin(), parts.size()));
}

/// Columns [begin, end) of the matrix view of x: [N, D] → [N, end - begin], a copy.
/// requires: 0 ≤ begin ≤ end ≤ D (else shape_error naming the range and shape).
/// The gradient lands in those columns of a zero tensor shaped like x.
template <scalar T, backend B>
var<T, B> slice_features(const var<T, B>& x, std::int64_t begin, std::int64_t end) {
    LATENT_CHECK(0 <= begin && begin <= end && end <= x.cols(), shape_error, "slice_features: columns [", begin,
                 ", ", end, ") outside the ", x.cols(), " columns of ", x.shape());
    const auto R = static_cast<std::size_t>(x.rows()), D = static_cast<std::size_t>(x.cols()),
               b = static_cast<std::size_t>(begin), e = static_cast<std::size_t>(end);
    tensor<T, B> y(shape{x.rows(), end - begin});
    launch(B{}, R * (e - b), kernels::copy_columns<T>{x.value().data(), y.data(), e - b, D, b, e - b, 0});
    return record("slice_features", y, {&x}, [xs = x.shape(), D, b, e](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(xs);
        launch(B{}, dx.size(), kernels::embed_columns<T>{g.data(), dx.data(), D, b, e});
        inputs.add(0, std::move(dx));
    });
}

/// The same elements in shape s, a view sharing x's storage (no copy).
/// requires: s.numel() == x.numel() (else shape_error). The gradient is reshaped back.
template <scalar T, backend B>
var<T, B> reshape(const var<T, B>& x, const shape& s) {
    tensor<T, B> y = x.value().reshape(s);
    return record("reshape", std::move(y), {&x}, [xs = x.shape()](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx = g.reshape(xs);
        g = tensor<T, B>();  // drop the second handle, so that the tape may take dx without a copy
        inputs.add(0, std::move(dx));
    });
}

/// x as its matrix view: [N, d₁, …] → [N, d₁·…], a view.
template <scalar T, backend B>
var<T, B> flatten(const var<T, B>& x) {
    return reshape(x, shape{x.rows(), x.cols()});
}

/// One-hot codes: labels [N] (or [N, 1]) → [N, classes] with a 1 at each row's
/// label, as T: one_hot<float>(labels, 10). requires: classes > 0 (config_error),
/// each label in [0, classes) (config_error naming the label and its row).
template <scalar T, backend B>
tensor<T, B> one_hot(const tensor<std::int32_t, B>& labels, int classes) {
    LATENT_CHECK(classes > 0, config_error, "one_hot: ", classes, " classes; need at least one");
    detail::check_labels("one_hot", "label", labels, labels.rows(), classes, shape{labels.rows(), classes});
    tensor<T, B> out(shape{labels.rows(), classes});
    launch(B{}, out.size(), kernels::one_hot<T>{labels.data(), out.data(), static_cast<std::size_t>(classes)});
    return out;
}

/// One column per row: x [N, D], idx [N] (or [N, 1]) → y [N, 1], y[n] = x[n, idx[n]].
/// requires: one index per row of x, each in [0, D) (shape_error / config_error
/// naming the op, the bad index and the shapes). The gradient is scattered back.
template <scalar T, backend B>
var<T, B> gather_cols(const var<T, B>& x, const tensor<std::int32_t, B>& idx) {
    detail::check_labels("gather_cols", "index", idx, x.rows(), x.cols(), x.shape());
    const auto D = static_cast<std::size_t>(x.cols());
    tensor<T, B> y(shape{x.rows(), 1});
    launch(B{}, y.size(), kernels::gather_cols<T>{x.value().data(), idx.data(), y.data(), D});
    return record("gather_cols", y, {&x}, [xs = x.shape(), idx, D](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(xs);
        launch(B{}, dx.size(), kernels::scatter_cols<T>{g.data(), idx.data(), dx.data(), D});
        inputs.add(0, std::move(dx));
    });
}

namespace detail {
template <bool Log, scalar T, backend B>
var<T, B> softmax_rows_op(const char* name, const var<T, B>& x) {
    LATENT_CHECK(x.cols() > 0, shape_error, name, ": rows of ", x.shape(), " are empty");
    const auto cols = static_cast<std::size_t>(x.cols());
    tensor<T, B> y(x.shape());
    launch_coarse(B{}, static_cast<std::size_t>(x.rows()), kernels::softmax_rows<T, Log>{x.value().data(), y.data(), cols});
    return record(name, y, {&x}, [y, cols](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(y.shape());
        launch_coarse(B{}, static_cast<std::size_t>(y.rows()),
                      kernels::softmax_rows_backward<T, Log>{y.data(), g.data(), dx.data(), cols});
        inputs.add(0, std::move(dx));
    });
}
}  // namespace detail

/// softmax over each row of the matrix view: y[n, c] = exp(x[n, c] - m) / Σ_c' exp(x[n, c'] - m)
/// with m the row's maximum, so large inputs do not overflow. Same shape as x;
/// requires non-empty rows (shape_error). Backward: dx = y ⊙ (g - Σ_c g·y).
template <scalar T, backend B>
var<T, B> softmax_rows(const var<T, B>& x) {
    return detail::softmax_rows_op<false>("softmax_rows", x);
}

/// log softmax over each row of the matrix view: y = x - logsumexp(x), stable
/// for large inputs. Same shape as x; requires non-empty rows (shape_error).
/// Backward: dx = g - softmax(x) Σ_c g.
template <scalar T, backend B>
var<T, B> log_softmax_rows(const var<T, B>& x) {
    return detail::softmax_rows_op<true>("log_softmax_rows", x);
}

}  // namespace latent
