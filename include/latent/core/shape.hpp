// latent/core/shape.hpp: the extent of a tensor, rank 0 to 4, row-major (N, C, H, W).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>

#include "latent/core/error.hpp"

namespace latent {

/// A tensor's extents. Rank 0 is a scalar (one element). Sizes are run-time
/// values; nothing in the library is templated on them.
class shape {
public:
    static constexpr int max_rank = 4;

    constexpr shape() = default;
    shape(std::initializer_list<std::int64_t> dims) {
        LATENT_CHECK(dims.size() <= max_rank, shape_error, "shape: rank ", dims.size(), " exceeds ", max_rank);
        for (auto d : dims) {
            LATENT_CHECK(d >= 0, shape_error, "shape: negative extent ", d);
            dims_[rank_++] = d;
        }
    }
    template <class It>
    static shape from_range(It first, It last) {
        shape s;
        for (; first != last; ++first) {
            LATENT_CHECK(s.rank_ < max_rank, shape_error, "shape: rank exceeds ", max_rank);
            LATENT_CHECK(*first >= 0, shape_error, "shape: negative extent ", *first);
            s.dims_[s.rank_++] = static_cast<std::int64_t>(*first);
        }
        return s;
    }

    constexpr int rank() const { return rank_; }
    constexpr std::int64_t operator[](int axis) const { return dims_[axis]; }
    /// Extent along `axis`; negative axes count from the back as in NumPy.
    std::int64_t dim(int axis) const {
        const int a = axis < 0 ? axis + rank_ : axis;
        LATENT_CHECK(a >= 0 && a < rank_, shape_error, "shape ", to_string(), ": no axis ", axis);
        return dims_[a];
    }
    constexpr std::int64_t numel() const {
        std::int64_t n = 1;
        for (int i = 0; i < rank_; ++i) n *= dims_[i];
        return n;
    }
    /// Rows of the matrix view: the first extent (1 for a scalar).
    constexpr std::int64_t rows() const { return rank_ == 0 ? 1 : dims_[0]; }
    /// Columns of the matrix view: the product of all extents but the first.
    constexpr std::int64_t cols() const { return rank_ == 0 ? 1 : numel() / (dims_[0] == 0 ? 1 : dims_[0]); }

    constexpr bool operator==(const shape& o) const {
        if (rank_ != o.rank_) return false;
        for (int i = 0; i < rank_; ++i)
            if (dims_[i] != o.dims_[i]) return false;
        return true;
    }

    /// The same shape with extent `axis` replaced.
    shape with(int axis, std::int64_t extent) const {
        shape s = *this;
        const int a = axis < 0 ? axis + rank_ : axis;
        LATENT_CHECK(a >= 0 && a < rank_, shape_error, "shape ", to_string(), ": no axis ", axis);
        s.dims_[a] = extent;
        return s;
    }

    std::string to_string() const {
        std::string s = "[";
        for (int i = 0; i < rank_; ++i) {
            if (i) s += ", ";
            s += std::to_string(dims_[i]);
        }
        return s + "]";
    }
    friend std::ostream& operator<<(std::ostream& os, const shape& s) { return os << s.to_string(); }

private:
    std::array<std::int64_t, max_rank> dims_{};
    int rank_ = 0;
};

}  // namespace latent
