// latent/autograd/ops/detail/broadcast.hpp: NumPy broadcasting for binary ops.
//
// Shapes are aligned on the right; an extent of 1 (or a missing one) stretches.
// The common cases get an index map without divisions: equal shapes, a scalar,
// a trailing block such as a bias row [D] or [1, D] against [N, D] ("suffix"),
// and a leading block such as a per-row value [N, 1] against [N, D] ("prefix").
#pragma once

#include <algorithm>
#include <cstdint>

#include "latent/config.hpp"
#include "latent/core/error.hpp"
#include "latent/core/shape.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent::detail {

/// The shape of broadcasting a with b; throws shape_error naming `op` and both shapes.
inline shape broadcast_shapes(const char* op, const shape& a, const shape& b) {
    if (a == b) return a;
    const int rank = std::max(a.rank(), b.rank());
    std::int64_t dims[shape::max_rank];
    for (int i = 0; i < rank; ++i) {
        const int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
        const std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        LATENT_CHECK(da == db || da == 1 || db == 1, shape_error, op, ": shapes ", a, " and ", b,
                     " do not broadcast");
        dims[i] = da == 1 ? db : da;
    }
    return shape::from_range(dims, dims + rank);
}

/// Maps an index of the broadcast output to the index of one operand.
struct broadcast_map {
    enum class kind : int { same, scalar, suffix, prefix, general };
    kind how = kind::same;
    std::int64_t period = 1;  // suffix: operand size; prefix: output elements per operand element
    int rank = 0;
    std::int64_t out_dims[shape::max_rank] = {};
    std::int64_t strides[shape::max_rank] = {};  // operand strides in output coordinates, 0 where stretched

    LATENT_HD std::int64_t operator()(std::int64_t i) const {
        switch (how) {
            case kind::same: return i;
            case kind::scalar: return 0;
            case kind::suffix: return i % period;
            case kind::prefix: return i / period;
            default: {
                std::int64_t offset = 0;
                for (int d = rank - 1; d >= 0; --d) {
                    offset += (i % out_dims[d]) * strides[d];
                    i /= out_dims[d];
                }
                return offset;
            }
        }
    }
};

/// The map from `out` (a broadcast of `in` with something) to `in`.
inline broadcast_map make_broadcast_map(const shape& in, const shape& out) {
    broadcast_map m;
    if (in == out) return m;
    if (in.numel() == 1) {
        m.how = broadcast_map::kind::scalar;
        return m;
    }
    const int lead = out.rank() - in.rank();
    // first and last axes of `in` (aligned to `out`) with an extent other than 1
    int first = -1, last = -1;
    for (int i = 0; i < in.rank(); ++i)
        if (in[i] != 1) {
            if (first < 0) first = i + lead;
            last = i + lead;
        }
    bool dense = true;  // in's non-1 extents form one unbroken run equal to out's
    for (int d = first; d <= last; ++d)
        if (in[d - lead] != out[d]) dense = false;
    if (dense) {
        std::int64_t after = 1;
        for (int d = last + 1; d < out.rank(); ++d) after *= out[d];
        if (after == 1) {
            m.how = broadcast_map::kind::suffix;
            m.period = in.numel();
            return m;
        }
        std::int64_t before = 1;
        for (int d = 0; d < first; ++d) before *= out[d];
        if (before == 1) {
            m.how = broadcast_map::kind::prefix;
            m.period = after;
            return m;
        }
    }
    m.how = broadcast_map::kind::general;
    m.rank = out.rank();
    std::int64_t stride = 1;
    for (int d = out.rank() - 1; d >= 0; --d) {
        m.out_dims[d] = out[d];
        const int id = d - lead;
        const std::int64_t extent = id >= 0 ? in[id] : 1;
        m.strides[d] = extent == 1 ? 0 : stride;
        stride *= extent;
    }
    return m;
}

/// Sums over the stretched positions of a general broadcast: one work item per element of the operand.
template <class T>
struct reduce_broadcast_general {
    const T* grad;
    T* out;
    int rank;
    std::int64_t out_dims[shape::max_rank];
    std::int64_t in_dims[shape::max_rank];  // aligned to out, 1 where stretched
    LATENT_HD void operator()(std::size_t j) const {
        // coordinates of operand element j
        std::int64_t coord[shape::max_rank] = {};
        std::int64_t rest = static_cast<std::int64_t>(j);
        for (int d = rank - 1; d >= 0; --d) {
            coord[d] = rest % in_dims[d];
            rest /= in_dims[d];
        }
        std::int64_t total = 1;
        for (int d = 0; d < rank; ++d) total *= out_dims[d] / in_dims[d];
        T acc = T(0);
        for (std::int64_t k = 0; k < total; ++k) {
            std::int64_t r = k, index = 0, stride = 1;
            for (int d = rank - 1; d >= 0; --d) {
                const std::int64_t reps = out_dims[d] / in_dims[d];
                const std::int64_t c = in_dims[d] == 1 ? r % reps : coord[d];
                if (in_dims[d] == 1) r /= reps;
                index += c * stride;
                stride *= out_dims[d];
            }
            acc += grad[index];
        }
        out[j] = acc;
    }
};

/// The gradient of a broadcast operand: `grad` (shape `out`) summed down to shape `in`.
template <class T, class B>
tensor<T, B> reduce_to_shape(tensor<T, B> grad, const shape& in) {
    const shape& out = grad.shape();
    if (in == out) return grad;
    const broadcast_map m = make_broadcast_map(in, out);
    tensor<T, B> result(in);
    const auto n = static_cast<std::size_t>(out.numel());
    switch (m.how) {
        case broadcast_map::kind::scalar: row_sums(B{}, grad.data(), 1, n, result.data()); break;
        case broadcast_map::kind::suffix: {
            const auto p = static_cast<std::size_t>(m.period);
            column_sums(B{}, grad.data(), n / p, p, result.data());
            break;
        }
        case broadcast_map::kind::prefix: {
            const auto p = static_cast<std::size_t>(m.period);
            row_sums(B{}, grad.data(), n / p, p, result.data());
            break;
        }
        default: {
            reduce_broadcast_general<T> k{grad.data(), result.data(), out.rank(), {}, {}};
            const int lead = out.rank() - in.rank();
            for (int d = 0; d < out.rank(); ++d) {
                k.out_dims[d] = out[d];
                k.in_dims[d] = d - lead >= 0 ? in[d - lead] : 1;
            }
            launch(B{}, result.size(), k);
        }
    }
    return result;
}

}  // namespace latent::detail
