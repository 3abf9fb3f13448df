// latent/tensor/index.hpp: picking rows of a tensor by integer index (batches, embeddings).
#pragma once

#include <cstdint>

#include "latent/tensor/tensor.hpp"

namespace latent {

namespace kernels {
/// y[n, :] = table[idx[n], :] for rows of `cols` elements.
template <class T>
struct take_rows {
    const T* table;
    const std::int32_t* idx;
    T* y;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t i) const { y[i] = table[static_cast<std::size_t>(idx[i / cols]) * cols + i % cols]; }
};
/// Sets *flag when an index lies outside [0, rows).
struct flag_out_of_range {
    const std::int32_t* idx;
    std::int64_t rows;
    std::int32_t* flag;
    LATENT_HD void operator()(std::size_t i) const {
        if (idx[i] < 0 || idx[i] >= rows) *flag = 1;
    }
};
}  // namespace kernels

/// Throws shape_error naming `op` unless every index lies in [0, rows); the
/// message names the first bad index and its position (found on the host, and
/// only once a device-side flag has said there is one).
template <backend B>
void check_indices(const char* op, const tensor<std::int32_t, B>& idx, std::int64_t rows) {
    LATENT_CHECK(idx.rank() <= 1 || (idx.rank() == 2 && idx.dim(1) == 1), shape_error, op,
                 ": indices must be a vector, got ", idx.shape());
    auto flag = tensor<std::int32_t, B>::zeros(shape{});
    launch(B{}, idx.size(), kernels::flag_out_of_range{idx.data(), rows, flag.data()});
    if (flag.item() == 0) return;
    const auto host = idx.to_vector();
    for (std::size_t i = 0; i < host.size(); ++i)
        LATENT_CHECK(host[i] >= 0 && host[i] < rows, shape_error, op, ": index ", host[i], " at position ", i,
                     " lies outside [0, ", rows, ")");
}

/// Rows of `t` (first axis) picked by `idx`: shape [len(idx), rest of t's extents...].
/// Throws shape_error, naming `op`, for an index outside t's rows.
template <element T, backend B>
tensor<T, B> take_rows(const tensor<T, B>& t, const tensor<std::int32_t, B>& idx, const char* op = "take_rows") {
    LATENT_CHECK(t.rank() >= 1, shape_error, op, ": cannot index rows of a scalar");
    check_indices(op, idx, t.dim(0));
    tensor<T, B> y(t.shape().with(0, idx.numel()));
    if (y.size() > 0)
        launch(B{}, y.size(), kernels::take_rows<T>{t.data(), idx.data(), y.data(), static_cast<std::size_t>(t.cols())});
    return y;
}

}  // namespace latent
