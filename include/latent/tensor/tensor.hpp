// latent/tensor/tensor.hpp: a dense, contiguous, row-major array on a backend.
//
// A tensor is a handle: copies share storage, as in PyTorch; `clone()` copies
// the data. Storage comes from the backend's caching arena. Views (`reshape`,
// `rows`) share storage without copying; a slice of columns is not contiguous
// and so is a copy (autograd/ops/shape.hpp), by design: every kernel may then
// assume dense, contiguous memory.
//
// requires: T is a latent::element, B a latent::backend.
// ensures:  data() points to numel() elements of T in B's memory, 64-byte
//           aligned unless the tensor is a row view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "latent/backend/cpu.hpp"
#include "latent/core/concepts.hpp"
#include "latent/core/error.hpp"
#include "latent/core/shape.hpp"
#include "latent/tensor/arena.hpp"
#include "latent/tensor/kernels.hpp"

namespace latent {

template <element T = float, backend B = cpu>
class tensor {
public:
    using value_type = T;
    using backend_type = B;

    /// An undefined tensor: no storage; `defined()` is false.
    tensor() = default;

    /// Uninitialised storage for `s`.
    explicit tensor(const latent::shape& s) : buf_(bytes_for(s)), shape_(s) {}

    static tensor empty(const latent::shape& s) { return tensor(s); }
    static tensor full(const latent::shape& s, T value) {
        tensor t(s);
        t.fill_(value);
        return t;
    }
    static tensor zeros(const latent::shape& s) { return full(s, T(0)); }
    static tensor ones(const latent::shape& s) { return full(s, T(1)); }
    /// A rank-0 tensor holding `value`.
    static tensor scalar(T value) { return full(latent::shape{}, value); }

    /// Copies host values into a new tensor of shape `s`; throws shape_error if the counts differ.
    static tensor from_host(const latent::shape& s, std::span<const T> values) {
        LATENT_CHECK(static_cast<std::int64_t>(values.size()) == s.numel(), shape_error, "tensor::from_host: ",
                     values.size(), " values for shape ", s);
        tensor t(s);
        copy_from_host(B{}, t.data(), values.data(), values.size() * sizeof(T));
        return t;
    }
    static tensor from_host(const latent::shape& s, std::initializer_list<T> values) {
        return from_host(s, std::span<const T>(values.begin(), values.size()));
    }

    bool defined() const { return static_cast<bool>(buf_); }
    const latent::shape& shape() const { return shape_; }
    int rank() const { return shape_.rank(); }
    std::int64_t dim(int axis) const { return shape_.dim(axis); }
    std::int64_t numel() const { return shape_.numel(); }
    std::size_t size() const { return static_cast<std::size_t>(numel()); }
    /// Rows and columns of the matrix view (first extent × the rest).
    std::int64_t rows() const { return shape_.rows(); }
    std::int64_t cols() const { return shape_.cols(); }

    T* data() const { return static_cast<T*>(buf_.data()) + offset_; }

    /// True when no other tensor shares this storage, so it may be written in place.
    bool unique() const { return buf_.use_count() == 1; }
    bool shares_storage_with(const tensor& o) const { return buf_.same_block(o.buf_); }

    /// A view with the same elements in another shape; throws shape_error if the counts differ.
    tensor reshape(const latent::shape& s) const {
        LATENT_CHECK(s.numel() == numel(), shape_error, "reshape: cannot view ", shape_, " (", numel(),
                     " elements) as ", s);
        tensor t = *this;
        t.shape_ = s;
        return t;
    }
    /// A view of rows [begin, end) along the first axis.
    tensor rows(std::int64_t begin, std::int64_t end) const {
        LATENT_CHECK(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0], shape_error, "rows: range [",
                     begin, ", ", end, ") outside ", shape_);
        tensor t = *this;
        t.offset_ += static_cast<std::size_t>(begin * cols());
        t.shape_ = shape_.with(0, end - begin);
        return t;
    }

    /// A new tensor with a copy of the data.
    tensor clone() const {
        tensor t(shape_);
        copy_bytes(B{}, t.data(), data(), size() * sizeof(T));
        return t;
    }
    /// Copies `src` (same element count) into this tensor's storage.
    void copy_(const tensor& src) {
        LATENT_CHECK(src.numel() == numel(), shape_error, "copy_: source ", src.shape(), " into ", shape_);
        copy_bytes(B{}, data(), src.data(), size() * sizeof(T));
    }
    void fill_(T value) { launch(B{}, size(), kernels::fill<T>{data(), value}); }

    /// The same values as another element type, on the same backend.
    template <element U>
    tensor<U, B> as() const {
        tensor<U, B> t(shape_);
        launch(B{}, size(), kernels::convert<U, T>{t.data(), data()});
        return t;
    }

    /// An explicit transfer to backend B2 (a copy, even when B2 is B).
    template <backend B2>
    tensor<T, B2> to() const {
        tensor<T, B2> t(shape_);
        if constexpr (std::is_same_v<B2, B>) {
            copy_bytes(B{}, t.data(), data(), size() * sizeof(T));
        } else {
            std::vector<T> host = to_vector();
            copy_from_host(B2{}, t.data(), host.data(), host.size() * sizeof(T));
        }
        return t;
    }

    /// The values, copied to a host vector.
    std::vector<T> to_vector() const {
        std::vector<T> host(size());
        copy_to_host(B{}, host.data(), data(), host.size() * sizeof(T));
        return host;
    }
    /// The only value of a one-element tensor.
    T item() const {
        LATENT_CHECK(numel() == 1, shape_error, "item: tensor of shape ", shape_, " has ", numel(), " elements");
        T v;
        copy_to_host(B{}, &v, data(), sizeof(T));
        return v;
    }

private:
    static std::size_t bytes_for(const latent::shape& s) { return static_cast<std::size_t>(s.numel()) * sizeof(T); }

    buffer<B> buf_;
    std::size_t offset_ = 0;  // in elements, for row views
    latent::shape shape_;
};

/// True if every element is finite (no NaN, no infinity).
template <scalar T, backend B>
bool all_finite(const tensor<T, B>& t) {
    auto flag = tensor<std::int32_t, B>::zeros(latent::shape{});
    launch(B{}, t.size(), kernels::flag_nonfinite<T>{t.data(), flag.data()});
    return flag.item() == 0;
}

}  // namespace latent
