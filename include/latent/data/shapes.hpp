// latent/data/shapes.hpp: a procedural dSprites-like dataset with known generative factors.
//
// Each image is one white shape on black, fixed by five discrete factors:
//   shape        3 values: square, ellipse, heart (dSprites' three)
//   scale        n values, evenly spaced in [0.5, 1]                     (dSprites: 6)
//   orientation  n values, θ_k = 2πk/n, k < n, so [0, 2π) without repeats  (dSprites: 40)
//   pos_x, pos_y n values each, evenly spaced over the centres that keep every
//                shape of every scale and orientation inside the image and off its
//                outermost pixels: [0.2 + 1/size, 0.8 - 1/size]           (dSprites: 32)
// 28×28 by default with 6 scales, 20 orientations and 16 positions per axis
// (92 160 images: positions one pixel apart, 18° between orientations; 40
// orientations and 32 positions would be sub-pixel steps at this size);
// `shapes_options::dsprites()` gives 64×64 with dSprites' 6 × 40 × 32 × 32.
// The symmetric shapes repeat under rotation (a square every π/2, an ellipse
// every π), as in dSprites: orientation is then not identifiable from pixels.
//
// Geometry, in the shape's own frame (y pointing up, every shape inside the unit disc):
//   square   |x| ≤ 1/√2 and |y| ≤ 1/√2                               area 2
//   ellipse  x² + (y / 0.5)² ≤ 1 (long axis along x at θ = 0)        area π/2
//   heart    the square |x| + |y| ≤ 1/√2 (side 1, a vertex down) and the two discs
//            of radius ½ centred on the midpoints of its upper sides, (±√2/4, √2/4)
//                                                                    area 1 + π/4
// A shape of scale s, orientation θ, centred at (cx, cy) (fractions of the image
// side, y growing down the rows) covers the image point p where
//   q = R(-θ)·((p_x - cx), -(p_y - cy)) / (0.2·s)
// lies in the shape: at scale 1 it spans at most 0.4 of the image side, and a
// positive θ turns it anticlockwise as seen. A pixel's value is the fraction of
// its supersample × supersample sample points (cell centres of a regular grid)
// that fall inside the shape: exact geometry, anti-aliased, in [0, 1].
//
// The dataset is the grid of all factor combinations in a fixed order (shape
// slowest, then scale, orientation, pos_x, pos_y fastest, like dSprites),
// rendered when read, so nothing is stored but (optionally) an index list.
// Combinations can be held out: a predicate picks them, and they then belong to
// the held-out part only, never to train. A part can be shuffled by a seed and
// cut to its first n examples, still exactly invertible by find_index.
//
// Labels: one categorical factor (label_width 1, classes = its size), or one or
// more binary rules on factors (factor == k, or factor ≥ k; label_width = number
// of rules, classes 2), or several categorical factors (label_width = their
// count, classes = the largest of their sizes). The factors no rule reads are the
// example's identity. Several categorical labels are factor value indices, not
// 0/1 labels: the layout then says "not categorical" (label_width > 1) and a model
// reads them as numbers, so they are meant for terms that only compare values,
// like the triplet term (objectives/triplet.hpp: one query per column), and for
// metrics against the factors; categorical and binary rules do not mix.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"
#include "latent/tensor/random.hpp"

namespace latent::data {

/// The five generative factors of the shapes dataset, in grid order (slowest first).
enum class shape_factor : int { shape = 0, scale = 1, orientation = 2, pos_x = 3, pos_y = 4 };
inline constexpr int shape_factor_count = 5;
inline constexpr std::array<const char*, shape_factor_count> shape_factor_names = {"shape", "scale", "orientation",
                                                                                   "pos_x", "pos_y"};

/// The values of the `shape` factor.
enum class shape_kind : int { square = 0, ellipse = 1, heart = 2 };
inline constexpr int shape_kind_count = 3;
inline constexpr std::array<const char*, shape_kind_count> shape_kind_names = {"square", "ellipse", "heart"};

/// One factor combination: each factor's value index (0 ≤ value < that factor's size).
struct shape_factors {
    int shape = 0, scale = 0, orientation = 0, pos_x = 0, pos_y = 0;

    int& operator[](shape_factor f) {
        switch (f) {
            case shape_factor::shape: return shape;
            case shape_factor::scale: return scale;
            case shape_factor::orientation: return orientation;
            case shape_factor::pos_x: return pos_x;
            case shape_factor::pos_y: break;
        }
        return pos_y;
    }
    int operator[](shape_factor f) const { return const_cast<shape_factors&>(*this)[f]; }
    friend bool operator==(const shape_factors&, const shape_factors&) = default;
};

/// A label read from the factors: the factor's value itself (categorical), or a 0/1 rule on it.
struct shape_label {
    enum class kind { categorical, equals, at_least };
    kind rule = kind::categorical;
    shape_factor factor = shape_factor::shape;
    int value = 0;     // the k of `factor == k` or `factor ≥ k`; unused when categorical
    std::string name;  // the label's name; empty: "<factor>" (categorical), "<factor>_is<k>", "<factor>_ge<k>"

    /// The factor's value index as the label, classes = the factor's size.
    static shape_label categorical(shape_factor f) { return {kind::categorical, f, 0, {}}; }
    /// 1 where the factor's value index is k, else 0 (one-vs-rest).
    static shape_label equals(shape_factor f, int k, std::string name = {}) {
        return {kind::equals, f, k, std::move(name)};
    }
    /// 1 where the factor's value index is at least k, else 0 (a threshold).
    static shape_label at_least(shape_factor f, int k, std::string name = {}) {
        return {kind::at_least, f, k, std::move(name)};
    }

    int of(const shape_factors& f) const {
        const int v = f[factor];
        switch (rule) {
            case kind::equals: return v == value ? 1 : 0;
            case kind::at_least: return v >= value ? 1 : 0;
            case kind::categorical: break;
        }
        return v;
    }
    std::string label_name() const {
        if (!name.empty()) return name;
        const std::string f = shape_factor_names[static_cast<std::size_t>(factor)];
        if (rule == kind::categorical) return f;
        return f + (rule == kind::equals ? "_is" : "_ge") + std::to_string(value);
    }
};

/// Which examples of the grid a `shapes` object presents.
enum class shapes_part {
    all,       // every combination
    train,     // every combination the hold-out predicate does not pick (all of them without one)
    held_out,  // the combinations it picks
};

/// Options of the shapes dataset:
/// `shapes_options{}.image_size(64).label(shape_factor::shape).hold_out(pred).shuffle(seed).limit(n)`.
class shapes_options {
public:
    /// 28×28 with 6 scales, 20 orientations, 16 positions per axis.
    shapes_options() = default;
    /// dSprites' sizes: 64×64, 6 scales, 40 orientations, 32 positions per axis.
    static shapes_options dsprites() { return shapes_options{}.image_size(64).orientations(40).positions(32); }

    shapes_options& image_size(int v) { image_size_ = v; return *this; }
    shapes_options& scales(int v) { scales_ = v; return *this; }
    shapes_options& orientations(int v) { orientations_ = v; return *this; }
    /// Positions per axis (pos_x and pos_y have the same count).
    shapes_options& positions(int v) { positions_ = v; return *this; }
    /// Sample points per pixel and axis (1: no anti-aliasing).
    shapes_options& supersample(int v) { supersample_ = v; return *this; }
    /// One categorical label: the factor's value index (the default: the shape).
    shapes_options& label(shape_factor f) { labels_ = {shape_label::categorical(f)}; return *this; }
    /// Several categorical labels, one column per factor in the order given: each holds the
    /// factor's value index (label_width = factors.size(), classes = the largest factor's size).
    shapes_options& factor_labels(const std::vector<shape_factor>& factors) {
        labels_.clear();
        for (const shape_factor f : factors) labels_.push_back(shape_label::categorical(f));
        return *this;
    }
    /// Labels as rules: categorical ones (one, or several as factor values for triplets), or any
    /// number of binary ones; not both kinds.
    shapes_options& labels(std::vector<shape_label> v) { labels_ = std::move(v); return *this; }
    /// Combinations for which `pred` is true are held out of train.
    shapes_options& hold_out(std::function<bool(const shape_factors&)> pred) { hold_out_ = std::move(pred); return *this; }
    /// Presents the part in an order drawn from `seed` (a Fisher–Yates permutation, latent::permutation).
    shapes_options& shuffle(std::uint64_t seed) { shuffle_ = seed; return *this; }
    /// Keeps the part's first n examples (after shuffling, if asked).
    shapes_options& limit(std::int64_t n) { limit_ = n; return *this; }

    int image_size() const { return image_size_; }
    int scales() const { return scales_; }
    int orientations() const { return orientations_; }
    int positions() const { return positions_; }
    int supersample() const { return supersample_; }
    const std::vector<shape_label>& labels() const { return labels_; }
    const std::function<bool(const shape_factors&)>& hold_out() const { return hold_out_; }
    std::optional<std::uint64_t> shuffle() const { return shuffle_; }
    std::optional<std::int64_t> limit() const { return limit_; }

    /// Throws config_error naming the option at fault.
    void validate() const {
        LATENT_CHECK(image_size_ >= 8 && image_size_ <= 4096, config_error, "shapes_options: image_size ", image_size_,
                     " outside [8, 4096]");
        LATENT_CHECK(scales_ >= 1 && scales_ <= 1024, config_error, "shapes_options: scales ", scales_,
                     " outside [1, 1024]");
        LATENT_CHECK(orientations_ >= 1 && orientations_ <= 1024, config_error, "shapes_options: orientations ",
                     orientations_, " outside [1, 1024]");
        LATENT_CHECK(positions_ >= 1 && positions_ <= 1024, config_error, "shapes_options: positions ", positions_,
                     " outside [1, 1024]");
        LATENT_CHECK(supersample_ >= 1 && supersample_ <= 16, config_error, "shapes_options: supersample ",
                     supersample_, " outside [1, 16]");
        LATENT_CHECK(!limit_ || *limit_ >= 0, config_error, "shapes_options: limit ", limit_.value_or(0),
                     " must be >= 0");
        LATENT_CHECK(!labels_.empty(), config_error, "shapes_options: at least one label is needed");
        const std::array<int, shape_factor_count> sizes = {shape_kind_count, scales_, orientations_, positions_,
                                                           positions_};
        for (const auto& l : labels_) {
            const int size = sizes[static_cast<std::size_t>(l.factor)];
            const char* f = shape_factor_names[static_cast<std::size_t>(l.factor)];
            if (l.rule == shape_label::kind::categorical) {
                LATENT_CHECK(std::all_of(labels_.begin(), labels_.end(),
                                         [](const shape_label& o) { return o.rule == shape_label::kind::categorical; }),
                             config_error, "shapes_options: the categorical label on ", f,
                             " is mixed with binary rules; use categorical labels only (factor values, e.g. for "
                             "triplets) or binary rules only");
                LATENT_CHECK(size >= 2, config_error, "shapes_options: a categorical label on ", f,
                             " needs at least 2 values, it has ", size);
            } else {
                LATENT_CHECK(l.value >= 0 && l.value < size, config_error, "shapes_options: label rule on ", f,
                             " compares with value ", l.value, ", outside [0, ", size, ")");
            }
        }
    }

private:
    int image_size_ = 28;
    int scales_ = 6;
    int orientations_ = 20;
    int positions_ = 16;
    int supersample_ = 4;
    std::vector<shape_label> labels_ = {shape_label::categorical(shape_factor::shape)};
    std::function<bool(const shape_factors&)> hold_out_;
    std::optional<std::uint64_t> shuffle_;
    std::optional<std::int64_t> limit_;
};

namespace detail {
/// Whether q (in the shape's own frame, y up) lies in the canonical shape; see the header's table.
inline bool inside_shape(shape_kind kind, double x, double y) {
    constexpr double h = 0.70710678118654752440;  // 1/√2
    switch (kind) {
        case shape_kind::square: return std::abs(x) <= h && std::abs(y) <= h;
        case shape_kind::ellipse: return x * x + 4.0 * y * y <= 1.0;
        case shape_kind::heart: {
            if (std::abs(x) + std::abs(y) <= h) return true;
            constexpr double c = 0.35355339059327376220;  // √2/4: the upper sides' midpoints (±c, c)
            const double dx = std::abs(x) - c, dy = y - c;
            return dx * dx + dy * dy <= 0.25;
        }
    }
    return false;
}
}  // namespace detail

/// The shapes dataset (one part of the factor grid), rendered on demand. A data::source.
///
/// ensures: read(i) is a pure function of the options and i: the same on every
///          machine and thread; factors_of, find_index and grid_index are exact
///          inverses over the part; held-out combinations never appear in train.
class shapes {
public:
    /// The radius of a scale-1 shape's bounding disc, as a fraction of the image side.
    static constexpr double max_radius = 0.2;

    explicit shapes(shapes_options options = {}, shapes_part part = shapes_part::train)
        : options_(std::move(options)), part_(part) {
        options_.validate();
        sizes_ = {shape_kind_count, options_.scales(), options_.orientations(), options_.positions(),
                  options_.positions()};
        grid_ = 1;
        for (int s : sizes_) grid_ *= s;
        // Without a predicate the held-out part is empty and train is the whole grid.
        const bool has_predicate = static_cast<bool>(options_.hold_out());
        const bool empty = part_ == shapes_part::held_out && !has_predicate;
        const bool picks = part_ != shapes_part::all && has_predicate;
        listed_ = picks || empty || options_.shuffle().has_value();
        LATENT_CHECK(!listed_ || grid_ <= std::int64_t{1} << 30, config_error, "shapes: a grid of ", grid_,
                     " combinations is too large to hold out or shuffle (at most 2^30)");
        if (listed_ && !empty)
            for (std::int64_t g = 0; g < grid_; ++g)
                if (!picks || options_.hold_out()(factors_at(g)) == (part_ == shapes_part::held_out)) order_.push_back(g);
        if (options_.shuffle()) {
            generator gen(*options_.shuffle());
            const auto perm = permutation<cpu>(static_cast<std::int64_t>(order_.size()), gen).to_vector();
            std::vector<std::int64_t> shuffled(order_.size());
            for (std::size_t k = 0; k < perm.size(); ++k) shuffled[k] = order_[static_cast<std::size_t>(perm[k])];
            order_ = std::move(shuffled);
        }
        size_ = listed_ ? static_cast<std::int64_t>(order_.size()) : grid_;
        if (options_.limit() && *options_.limit() < size_) {
            size_ = *options_.limit();
            if (listed_) order_.resize(static_cast<std::size_t>(size_));
        }
        if (listed_) {
            position_.assign(static_cast<std::size_t>(grid_), -1);
            for (std::size_t k = 0; k < order_.size(); ++k) position_[static_cast<std::size_t>(order_[k])] = std::int64_t(k);
        }
        layout_.shape = {1, options_.image_size(), options_.image_size()};
        const auto& labels = options_.labels();
        layout_.label_width = static_cast<int>(labels.size());
        // Several categorical labels: the largest factor, so that every column's values are < classes.
        layout_.classes = 2;
        for (const auto& l : labels)
            if (l.rule == shape_label::kind::categorical)
                layout_.classes = std::max(layout_.classes, sizes_[std::size_t(l.factor)]);
        for (const auto& l : labels) layout_.label_names.push_back(l.label_name());
    }

    std::int64_t size() const { return size_; }
    const example_layout& layout() const { return layout_; }
    const shapes_options& options() const { return options_; }
    shapes_part part() const { return part_; }

    /// The number of values of each factor, in shape_factor order.
    const std::array<int, shape_factor_count>& factor_sizes() const { return sizes_; }
    int factor_size(shape_factor f) const { return sizes_[static_cast<std::size_t>(f)]; }
    /// All combinations of the grid (every part together).
    std::int64_t grid_size() const { return grid_; }

    /// Renders example i and writes its labels.
    void read(std::int64_t i, float* x, std::int32_t* y) const {
        const shape_factors f = factors_of(i);
        render(f, x);
        labels_of(f, y);
    }

    /// The factors of example i of this part. requires 0 ≤ i < size() (shape_error).
    shape_factors factors_of(std::int64_t i) const { return factors_at(grid_index_of(i)); }
    /// The grid index of example i of this part.
    std::int64_t grid_index_of(std::int64_t i) const {
        LATENT_CHECK(i >= 0 && i < size_, shape_error, "shapes: example ", i, " of ", size_);
        return listed_ ? order_[static_cast<std::size_t>(i)] : i;
    }
    /// The example of this part with these factors, or nothing if the combination is
    /// in another part (held out, or cut by limit). Throws config_error for a factor out of range.
    std::optional<std::int64_t> find_index(const shape_factors& f) const {
        const std::int64_t g = grid_index(f);
        if (!listed_) return g < size_ ? std::optional<std::int64_t>(g) : std::nullopt;
        const std::int64_t k = position_[static_cast<std::size_t>(g)];
        return k >= 0 ? std::optional<std::int64_t>(k) : std::nullopt;
    }
    /// The combination's place in the full grid: shape slowest, pos_y fastest.
    std::int64_t grid_index(const shape_factors& f) const {
        check(f);
        std::int64_t g = 0;
        for (int k = 0; k < shape_factor_count; ++k) g = g * sizes_[std::size_t(k)] + f[static_cast<shape_factor>(k)];
        return g;
    }
    /// The combination at a grid index, 0 ≤ g < grid_size().
    shape_factors factors_at(std::int64_t g) const {
        LATENT_CHECK(g >= 0 && g < grid_, shape_error, "shapes: grid index ", g, " of ", grid_);
        shape_factors f;
        for (int k = shape_factor_count - 1; k >= 0; --k) {
            const int n = sizes_[std::size_t(k)];
            f[static_cast<shape_factor>(k)] = static_cast<int>(g % n);
            g /= n;
        }
        return f;
    }
    /// Whether the hold-out predicate picks this combination.
    bool is_held_out(const shape_factors& f) const {
        check(f);
        return options_.hold_out() && options_.hold_out()(f);
    }
    /// Whether a label rule reads this factor (the others are the example's identity).
    bool is_label_factor(shape_factor f) const {
        for (const auto& l : options_.labels())
            if (l.factor == f) return true;
        return false;
    }

    /// The labels of a combination, label_width int32 values.
    void labels_of(const shape_factors& f, std::int32_t* y) const {
        const auto& labels = options_.labels();
        for (std::size_t k = 0; k < labels.size(); ++k) y[k] = labels[k].of(f);
    }

    /// The continuous value behind a factor's index: scale in [0.5, 1], orientation in radians,
    /// position as the centre's fraction of the image side; the shape's index for `shape`.
    double factor_value(shape_factor f, int k) const {
        const int n = sizes_[static_cast<std::size_t>(f)];
        LATENT_CHECK(k >= 0 && k < n, config_error, "shapes: value ", k, " of factor ",
                     shape_factor_names[static_cast<std::size_t>(f)], " outside [0, ", n, ")");
        const double frac = n == 1 ? 0.5 : double(k) / double(n - 1);
        switch (f) {
            case shape_factor::scale: return n == 1 ? 1.0 : 0.5 + 0.5 * frac;
            case shape_factor::orientation: return 2.0 * std::numbers::pi * double(k) / double(n);
            case shape_factor::pos_x:
            case shape_factor::pos_y: {
                // Every shape fits, one pixel clear of the border: the bounding disc of a scale-1 shape plus a pixel.
                const double lo = max_radius + 1.0 / options_.image_size();
                return lo + (1.0 - 2.0 * lo) * frac;
            }
            case shape_factor::shape: break;
        }
        return double(k);
    }

    /// Renders a combination into `layout().features()` floats (row-major image), values in [0, 1].
    void render(const shape_factors& f, float* out) const {
        check(f);
        const int n = options_.image_size(), ss = options_.supersample();
        const auto kind = static_cast<shape_kind>(f.shape);
        const double radius = max_radius * factor_value(shape_factor::scale, f.scale) * n;  // pixels
        const double theta = factor_value(shape_factor::orientation, f.orientation);
        const double cx = factor_value(shape_factor::pos_x, f.pos_x) * n;
        const double cy = factor_value(shape_factor::pos_y, f.pos_y) * n;
        const double c = std::cos(theta) / radius, s = std::sin(theta) / radius;
        // Only pixels meeting the bounding disc can be covered.
        const int r0 = clamp_index(std::floor(cy - radius), n), r1 = clamp_index(std::ceil(cy + radius), n);
        const int c0 = clamp_index(std::floor(cx - radius), n), c1 = clamp_index(std::ceil(cx + radius), n);
        for (int k = 0; k < n * n; ++k) out[k] = 0.0f;
        const float per_sample = 1.0f / float(ss * ss);
        for (int r = r0; r < r1; ++r)
            for (int col = c0; col < c1; ++col) {
                int hits = 0;
                for (int a = 0; a < ss; ++a) {
                    const double dy = -(r + (a + 0.5) / ss - cy);  // up is positive in the shape's frame
                    for (int b = 0; b < ss; ++b) {
                        const double dx = col + (b + 0.5) / ss - cx;
                        // q = R(-θ)·d / radius
                        hits += detail::inside_shape(kind, c * dx + s * dy, -s * dx + c * dy) ? 1 : 0;
                    }
                }
                out[r * n + col] = float(hits) * per_sample;
            }
    }

private:
    static int clamp_index(double v, int n) { return v < 0 ? 0 : v > n ? n : static_cast<int>(v); }

    void check(const shape_factors& f) const {
        for (int k = 0; k < shape_factor_count; ++k) {
            const int v = f[static_cast<shape_factor>(k)], n = sizes_[std::size_t(k)];
            LATENT_CHECK(v >= 0 && v < n, config_error, "shapes: factor ", shape_factor_names[std::size_t(k)], " = ",
                         v, " outside [0, ", n, ")");
        }
    }

    shapes_options options_;
    shapes_part part_;
    std::array<int, shape_factor_count> sizes_{};
    std::int64_t grid_ = 0;
    std::int64_t size_ = 0;
    bool listed_ = false;              // examples go through order_ (a hold-out, a shuffle, or an empty part)
    std::vector<std::int64_t> order_;  // example → grid index
    std::vector<std::int64_t> position_;  // grid index → example, -1 if not in this part
    example_layout layout_;
};

static_assert(source<shapes>);

}  // namespace latent::data
