// latent/data/dataset.hpp: what a dataset is, for loaders, samplers and models.
//
// A dataset is anything that can say how many examples it has, what one
// example looks like, and write example i's features and labels into
// caller-owned memory (`data::source`). Loaders, samplers and splits work on
// that concept only, so an in-memory set (Fashion-MNIST held as bytes), a
// generated one (swiss roll, shapes) and a streamed one (CelebA from disk) all
// batch the same way.
//
// Labels are always `label_width()` int32 values per example: one class index
// in [0, classes) for a single categorical label (label_width 1), or one 0/1
// value per binary label (label_width L, classes 2).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "latent/core/error.hpp"

namespace latent::data {

/// The shape of one example (without the batch axis) and its labels.
struct example_layout {
    std::vector<std::int64_t> shape;       // e.g. {1, 28, 28} for an image, {3} for a point
    int label_width = 1;                   // int32 labels per example
    int classes = 2;                       // classes of the (single) categorical label, or 2 for binary labels
    std::vector<std::string> label_names;  // one per label column (label_width names), may be empty

    std::int64_t features() const {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
    bool categorical() const { return label_width == 1 && classes > 2; }
};

/// A dataset: a size, a layout, and random access to examples.
///
/// requires: `read(i, x, y)` for 0 ≤ i < size() writes `layout().features()`
///           floats to x and `layout().label_width` int32 to y; it may be
///           called from a background thread (one at a time per object), and
///           it throws latent::error (io_error for files) on bad data.
template <class D>
concept source = requires(const D& d, std::int64_t i, float* x, std::int32_t* y) {
    { d.size() } -> std::convertible_to<std::int64_t>;
    { d.layout() } -> std::convertible_to<example_layout>;
    d.read(i, x, y);
};

/// An in-memory dataset whose features are bytes scaled to [0, 1] on read
/// (images: Fashion-MNIST's 60 000 × 784 bytes are ~47 MB as u8, 4× that as float)
/// or floats kept as they are (points, generated features).
class in_memory {
public:
    /// Bytes, one row of `layout.features()` per example, scaled by 1/255 when read.
    static in_memory from_bytes(example_layout layout, std::vector<std::uint8_t> bytes,
                                std::vector<std::int32_t> labels) {
        in_memory d(std::move(layout), std::move(labels));
        LATENT_CHECK(bytes.size() == static_cast<std::size_t>(d.size() * d.layout_.features()), config_error,
                     "data::in_memory: ", bytes.size(), " bytes for ", d.size(), " examples of ",
                     d.layout_.features(), " features");
        d.bytes_ = std::move(bytes);
        return d;
    }
    /// Floats, one row of `layout.features()` per example.
    static in_memory from_floats(example_layout layout, std::vector<float> values, std::vector<std::int32_t> labels) {
        in_memory d(std::move(layout), std::move(labels));
        LATENT_CHECK(values.size() == static_cast<std::size_t>(d.size() * d.layout_.features()), config_error,
                     "data::in_memory: ", values.size(), " floats for ", d.size(), " examples of ",
                     d.layout_.features(), " features");
        d.floats_ = std::move(values);
        return d;
    }

    std::int64_t size() const { return static_cast<std::int64_t>(labels_.size()) / layout_.label_width; }
    const example_layout& layout() const { return layout_; }

    void read(std::int64_t i, float* x, std::int32_t* y) const {
        LATENT_CHECK(i >= 0 && i < size(), shape_error, "data::in_memory: example ", i, " of ", size());
        const std::int64_t f = layout_.features();
        if (!bytes_.empty()) {
            const std::uint8_t* src = bytes_.data() + i * f;
            for (std::int64_t k = 0; k < f; ++k) x[k] = static_cast<float>(src[k]) * (1.0f / 255.0f);
        } else {
            const float* src = floats_.data() + i * f;
            for (std::int64_t k = 0; k < f; ++k) x[k] = src[k];
        }
        for (int k = 0; k < layout_.label_width; ++k) y[k] = labels_[i * layout_.label_width + k];
    }

    /// Example i's labels, without reading its features.
    const std::int32_t* labels_of(std::int64_t i) const { return labels_.data() + i * layout_.label_width; }
    const std::vector<std::int32_t>& labels() const { return labels_; }

private:
    in_memory(example_layout layout, std::vector<std::int32_t> labels)
        : layout_(std::move(layout)), labels_(std::move(labels)) {
        LATENT_CHECK(layout_.label_width >= 1, config_error, "data::in_memory: label_width ", layout_.label_width,
                     " must be at least 1");
        LATENT_CHECK(labels_.size() % static_cast<std::size_t>(layout_.label_width) == 0, config_error,
                     "data::in_memory: ", labels_.size(), " labels is not a multiple of label_width ",
                     layout_.label_width);
    }

    example_layout layout_;
    std::vector<std::uint8_t> bytes_;
    std::vector<float> floats_;
    std::vector<std::int32_t> labels_;
};

static_assert(source<in_memory>);

}  // namespace latent::data
