// latent/eval/host_data.hpp: the inputs of the evaluation functions, copied to the host.
//
// Metrics run once per evaluation on at most tens of thousands of points, so
// they work on host copies in double (points) and int32 (labels) whatever the
// caller holds: a tensor of any backend, or a std::vector / span. Both types
// convert implicitly, so `knn_kl_divergence(z_pos, z_neg)` takes tensors
// directly and `knn_kl_divergence({xs, 2}, {ys, 2})` takes flat vectors of
// 2-D points.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "latent/core/concepts.hpp"
#include "latent/core/error.hpp"
#include "latent/config.hpp"
#include "latent/tensor/tensor.hpp"

#if LATENT_HAS_OPENMP
#include <omp.h>
#endif

namespace latent::eval {

namespace detail {
/// While alive, OpenMP regions opened by this thread use at most `threads` threads. Small
/// networks (probes) train many times faster on one thread than with a team woken for every
/// 64-row op, above all on a loaded machine, and their results then do not depend on the team size.
class omp_threads_scope {
public:
    explicit omp_threads_scope(int threads) {
#if LATENT_HAS_OPENMP
        previous_ = omp_get_max_threads();
        omp_set_num_threads(threads < 1 ? 1 : threads);
#else
        (void)threads;
#endif
    }
    ~omp_threads_scope() {
#if LATENT_HAS_OPENMP
        omp_set_num_threads(previous_);
#endif
    }
    omp_threads_scope(const omp_threads_scope&) = delete;
    omp_threads_scope& operator=(const omp_threads_scope&) = delete;

private:
    int previous_ = 1;
};
}  // namespace detail

/// n points of d coordinates each, row-major, in double on the host.
/// A tensor is read as its matrix view: rows() points of cols() coordinates
/// ([n, d], or [n, C, H, W] as n points of C·H·W), a rank-1 tensor [n] as n
/// points of one coordinate.
struct host_points {
    std::vector<double> values;
    std::int64_t n = 0;
    std::int64_t d = 0;

    host_points() = default;
    template <scalar T, backend B>
    host_points(const tensor<T, B>& t)  // NOLINT: implicit, so metrics take tensors directly
        : n(t.rank() == 0 ? 1 : t.rows()), d(t.rank() <= 1 ? 1 : t.cols()) {
        const std::vector<T> v = t.to_vector();
        values.assign(v.begin(), v.end());
    }
    /// Flat row-major values of points with `dim` coordinates; throws shape_error unless dim ≥ 1 divides the count.
    host_points(std::span<const float> flat, std::int64_t dim) { assign(flat, dim); }
    host_points(std::span<const double> flat, std::int64_t dim) { assign(flat, dim); }
    host_points(const std::vector<float>& flat, std::int64_t dim) { assign(std::span<const float>(flat), dim); }
    host_points(const std::vector<double>& flat, std::int64_t dim) { assign(std::span<const double>(flat), dim); }

    const double* row(std::int64_t i) const { return values.data() + i * d; }

private:
    template <class T>
    void assign(std::span<const T> flat, std::int64_t dim) {
        LATENT_CHECK(dim >= 1 && static_cast<std::int64_t>(flat.size()) % dim == 0, shape_error, "host_points: ",
                     flat.size(), " values are not a whole number of points of ", dim, " coordinates");
        values.assign(flat.begin(), flat.end());
        d = dim;
        n = static_cast<std::int64_t>(flat.size()) / dim;
    }
};

/// n rows of `width` integer labels each (width 1: one class label per example).
/// A tensor [n] or [n, 1] gives width 1, [n, K] width K.
struct host_labels {
    std::vector<std::int32_t> values;
    std::int64_t n = 0;
    std::int64_t width = 1;

    host_labels() = default;
    template <backend B>
    host_labels(const tensor<std::int32_t, B>& t)  // NOLINT: implicit, as host_points
        : values(t.to_vector()), n(t.rank() == 0 ? 1 : t.rows()), width(t.rank() <= 1 ? 1 : t.cols()) {}
    host_labels(std::span<const std::int32_t> flat, std::int64_t w = 1) { assign(flat, w); }
    host_labels(const std::vector<std::int32_t>& flat, std::int64_t w = 1) {
        assign(std::span<const std::int32_t>(flat), w);
    }

    std::int32_t at(std::int64_t i, std::int64_t k = 0) const { return values[static_cast<std::size_t>(i * width + k)]; }

private:
    void assign(std::span<const std::int32_t> flat, std::int64_t w) {
        LATENT_CHECK(w >= 1 && static_cast<std::int64_t>(flat.size()) % w == 0, shape_error, "host_labels: ",
                     flat.size(), " labels are not a whole number of rows of ", w);
        values.assign(flat.begin(), flat.end());
        width = w;
        n = static_cast<std::int64_t>(flat.size()) / w;
    }
};

}  // namespace latent::eval
