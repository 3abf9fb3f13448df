// latent/dist/detail/common.hpp: pieces every distribution shares.
//
// Distributions are batch-first: the first extent of a parameter is the batch
// (n rows), the rest are event dimensions, read as the matrix view [n, d].
// Densities are computed per element ([n, d], the `_elements` members) and
// summed over the event into one value per row ([n]).
#pragma once

#include <cstdint>

#include "latent/autograd/ops/detail/broadcast.hpp"
#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"

namespace latent::dist::detail {

/// Σ over the event dimensions of each row: [n, ...] → [n].
template <scalar T, backend B>
var<T, B> sum_event(const var<T, B>& elements) {
    return reshape(sum_rows(elements), shape{elements.rows()});
}

/// x broadcast to shape s (x itself when it has that shape already). The
/// gradient is summed back to x's shape by the addition's backward.
template <scalar T, backend B>
var<T, B> broadcast_to(const var<T, B>& x, const shape& s) {
    if (x.shape() == s) return x;
    return x + var<T, B>(tensor<T, B>::zeros(s));
}

/// The shape two parameters broadcast to; shape_error naming `what` and both shapes otherwise.
inline shape batch_shape(const char* what, const shape& a, const shape& b) {
    return latent::detail::broadcast_shapes(what, a, b);
}

}  // namespace latent::dist::detail
