// latent/autograd/ops/index.hpp: row lookup by integer index (embeddings).
#pragma once

#include <cstdint>

#include "latent/autograd/tape.hpp"
#include "latent/tensor/index.hpp"

namespace latent {

namespace kernels {
/// dtable[v, d] = Σ over n with idx[n] = v of g[n, d]. One work item per table
/// element, gathering instead of scattering: no atomics, same order on every backend.
template <class T>
struct index_rows_backward {
    const T* g;
    const std::int32_t* idx;
    T* dtable;
    std::size_t dim, count;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t v = i / dim, d = i % dim;
        T acc = T(0);
        for (std::size_t n = 0; n < count; ++n)
            if (static_cast<std::size_t>(idx[n]) == v) acc += g[n * dim + d];
        dtable[i] = acc;
    }
};
}  // namespace kernels

/// Rows of `table` [V, D] picked by `idx` [N] (int32): [N, D]. The gradient of
/// a row sums the gradients of every pick of it. Throws shape_error if an index
/// lies outside [0, V).
template <scalar T, backend B>
var<T, B> index_rows(const var<T, B>& table, const tensor<std::int32_t, B>& idx) {
    LATENT_CHECK(table.shape().rank() == 2, shape_error, "index_rows: table must be a matrix, got ", table.shape());
    const auto dim = static_cast<std::size_t>(table.dim(1));
    tensor<T, B> y = take_rows(table.value(), idx, "index_rows");
    return record("index_rows", y, {&table}, [ts = table.shape(), idx, dim](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dt(ts);
        launch(B{}, dt.size(), kernels::index_rows_backward<T>{g.data(), idx.data(), dt.data(), dim, idx.size()});
        inputs.add(0, std::move(dt));
    });
}

}  // namespace latent
