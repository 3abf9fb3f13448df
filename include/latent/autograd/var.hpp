// latent/autograd/var.hpp: a value in the autograd graph.
//
// A var is a tensor plus, when it was produced by a recorded op or is a
// parameter, its slot on this thread's tape. Copies are cheap handles. Once
// the tape is cleared (after a backward), older vars act as constants.
#pragma once

#include <cstdint>

#include "latent/core/concepts.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent {

template <scalar T, backend B>
class tape;
template <scalar T, backend B>
class parameter;

namespace detail {
/// The generation of this thread's tape for (T, B): bumped whenever the tape is cleared.
template <scalar T, backend B>
inline thread_local std::uint64_t tape_generation = 1;
}  // namespace detail

template <scalar T = float, backend B = cpu>
class var {
public:
    using tensor_type = tensor<T, B>;
    using value_type = T;
    using backend_type = B;

    var() = default;
    /// A constant: ops on it record no gradient for it.
    var(tensor_type value) : value_(std::move(value)) {}  // NOLINT: a tensor is a constant var

    const tensor_type& value() const { return value_; }
    const latent::shape& shape() const { return value_.shape(); }
    std::int64_t numel() const { return value_.numel(); }
    std::int64_t rows() const { return value_.rows(); }
    std::int64_t cols() const { return value_.cols(); }
    std::int64_t dim(int axis) const { return value_.dim(axis); }
    T item() const { return value_.item(); }

    /// True when backward would send a gradient through this value.
    bool requires_grad() const { return id_ >= 0 && generation_ == detail::tape_generation<T, B>; }

private:
    friend class tape<T, B>;
    friend class parameter<T, B>;
    var(tensor_type value, int id, std::uint64_t generation)
        : value_(std::move(value)), id_(id), generation_(generation) {}

    tensor_type value_;
    int id_ = -1;
    std::uint64_t generation_ = 0;
};

/// A constant view of the same value: gradients stop here.
template <scalar T, backend B>
var<T, B> detach(const var<T, B>& x) {
    return var<T, B>(x.value());
}

}  // namespace latent
