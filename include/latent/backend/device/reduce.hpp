// latent/backend/device/reduce.hpp: row and column sums of the device backend, through CUB and Thrust.
//
// Both are segmented sums over a virtual sequence: segment s holds `length`
// values, value k of it read as at(s·length + k) by a LATENT_HD functor. Row
// sums read a row-major matrix as it lies; column sums read it column by
// column through an index map, so no transposed copy is made. The sequence
// goes to CUB's DeviceSegmentedReduce under CUDA (asynchronous on latent's
// stream, with its scratch from the device arena: no cudaMalloc in steady
// state, and legal inside a captured graph) and to Thrust's reduce_by_key on
// the OMP and CPP systems (keys = segment numbers), where CI runs the same
// index maps on the CPU. Values are summed in double and rounded once, so the
// two systems and the cpu backend agree to float rounding; each is run-to-run
// deterministic on a given machine and thread count, not bit-equal to the others.
#pragma once

#include "latent/backend/device/system.hpp"  // first: see there

#include <cstddef>
#include <cstdint>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include "latent/backend/device/counters.hpp"
#include "latent/backend/device/launch.hpp"
#include "latent/backend/device/memory.hpp"
#include "latent/backend/tags.hpp"
#include "latent/config.hpp"
#include "latent/core/error.hpp"
#include "latent/tensor/arena.hpp"

#if LATENT_DEVICE_CUDA
#include <cub/device/device_segmented_reduce.cuh>

#include "latent/backend/cuda/check.hpp"
#include "latent/backend/cuda/stream.hpp"
#else
#include <thrust/functional.h>
#include <thrust/iterator/discard_iterator.h>
#include <thrust/reduce.h>
#endif

namespace latent {

namespace kernels {

/// Value i of a row-major matrix in storage order, as a double: segment r of length cols is row r.
template <class T>
struct read_in_order {
    const T* x;
    LATENT_HD double operator()(std::int64_t i) const { return static_cast<double>(x[i]); }
};

/// Value i of a rows × cols row-major matrix in column order, as a double: segment c of length rows
/// is column c, so value i is x[i mod rows, i / rows].
template <class T>
struct read_by_column {
    const T* x;
    std::int64_t rows, cols;
    LATENT_HD double operator()(std::int64_t i) const {
        const std::int64_t c = i / rows, r = i - c * rows;
        return static_cast<double>(x[r * cols + c]);
    }
};

/// i · step: where segment i starts (CUB's offsets), or with division the segment of value i (Thrust's keys).
struct times {
    std::int64_t step;
    LATENT_HD std::int64_t operator()(std::int64_t i) const { return i * step; }
};
struct divided_by {
    std::int64_t step;
    LATENT_HD std::int64_t operator()(std::int64_t i) const { return i / step; }
};

/// a + b in double. Our own functor, not ::cuda::std::plus: nvcc's generated kernel stubs name the
/// functor's type unqualified as `cuda::…`, which is ambiguous beside latent::cuda wherever a
/// translation unit says `using namespace latent`.
struct add_doubles {
    LATENT_HD double operator()(double a, double b) const { return a + b; }
};

/// out[i] = 0.
template <class T>
struct zero_fill {
    T* out;
    LATENT_HD void operator()(std::size_t i) const { out[i] = T(0); }
};

}  // namespace kernels

namespace detail {

/// out[s] = Σ_{k < length} at(s·length + k) for every s < segments, summed in double; zeros when
/// length = 0. One counted launch (device_stats().launches).
/// requires: `at` is a LATENT_HD functor from std::int64_t to double reading device memory;
///           segments·length fits in std::int64_t.
template <class T, class At>
void segmented_sums(std::size_t segments, std::size_t length, At at, T* out, const char* who) {
    if (segments == 0) {
        count(device_stats().launches);
        return;
    }
    if (length == 0) {  // every segment empty: CUB would write zeros, Thrust's keys would be missing
        launch(device{}, segments, kernels::zero_fill<T>{out});
        return;
    }
    LATENT_CHECK(segments * length <= static_cast<std::size_t>(INT64_MAX) / 2, shape_error, who, ": ", segments,
                 " segments of ", length, " values are too many to index");
    count(device_stats().launches);
    const auto values = thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0), at);
    const auto n = static_cast<std::int64_t>(segments), len = static_cast<std::int64_t>(length);
#if LATENT_DEVICE_CUDA
    const auto begins =
        thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0), kernels::times{len});
    std::size_t scratch_bytes = 0;
    LATENT_CUDA_CHECK(cub::DeviceSegmentedReduce::Reduce(nullptr, scratch_bytes, values, out, n, begins, begins + 1,
                                                         kernels::add_doubles{}, 0.0, cuda::stream()));
    buffer<device> scratch(scratch_bytes > 0 ? scratch_bytes : 1);  // from the arena; reused after this launch only
    LATENT_CUDA_CHECK(cub::DeviceSegmentedReduce::Reduce(scratch.data(), scratch_bytes, values, out, n, begins,
                                                         begins + 1, kernels::add_doubles{}, 0.0,
                                                         cuda::stream()));
#else
    (void)who;
    const auto keys = thrust::make_transform_iterator(thrust::counting_iterator<std::int64_t>(0),
                                                      kernels::divided_by{len});
    thrust::reduce_by_key(thrust::device, keys, keys + n * len, values, thrust::make_discard_iterator(), out,
                          thrust::equal_to<std::int64_t>(), kernels::add_doubles{});
#endif
}

}  // namespace detail

/// out[c] = Σ over rows r of x[r, c], for a rows × cols row-major matrix on the device (zeros when rows = 0).
/// ensures: one counted launch; no device allocation in steady state.
template <class T>
void column_sums(device, const T* x, std::size_t rows, std::size_t cols, T* out) {
    detail::segmented_sums(cols, rows,
                           kernels::read_by_column<T>{x, static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)},
                           out, "column_sums(device)");
}

/// out[r] = Σ over columns c of x[r, c], for a rows × cols row-major matrix on the device (zeros when cols = 0).
/// ensures: one counted launch; no device allocation in steady state.
template <class T>
void row_sums(device, const T* x, std::size_t rows, std::size_t cols, T* out) {
    detail::segmented_sums(rows, cols, kernels::read_in_order<T>{x}, out, "row_sums(device)");
}

}  // namespace latent
