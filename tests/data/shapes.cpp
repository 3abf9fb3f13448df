#include <doctest/doctest.h>

#include <latent/data/shapes.hpp>

#include <cmath>
#include <numbers>
#include <set>
#include <string>
#include <vector>

using namespace latent;
using data::shape_factor;
using data::shape_factors;

namespace {
constexpr double pi = std::numbers::pi;

std::vector<float> image(const data::shapes& d, const shape_factors& f) {
    std::vector<float> x(static_cast<std::size_t>(d.layout().features()));
    d.render(f, x.data());
    return x;
}

/// Area (sum of pixel values), centroid and central second moments, with y pointing up.
struct moments {
    double area = 0, cx = 0, cy = 0, xx = 0, yy = 0, xy = 0;
};
moments measure(const std::vector<float>& img, int n) {
    moments m;
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            const double v = img[std::size_t(r * n + c)];
            m.area += v;
            m.cx += v * (c + 0.5);
            m.cy += v * (r + 0.5);
        }
    m.cx /= m.area;
    m.cy /= m.area;
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            const double v = img[std::size_t(r * n + c)];
            const double dx = c + 0.5 - m.cx, dy = -(r + 0.5 - m.cy);
            m.xx += v * dx * dx;
            m.yy += v * dy * dy;
            m.xy += v * dx * dy;
        }
    return m;
}

/// The canonical shapes' areas, worked by hand from the geometry the header documents
/// (in units of the bounding radius squared): square of half-side 1/√2, ellipse with
/// semi-axes 1 and ½, heart = unit square plus two half-discs of radius ½.
double unit_area(int shape) {
    switch (shape) {
        case 0: return 2.0;
        case 1: return pi * 1.0 * 0.5;
        default: return 1.0 + pi / 4.0;
    }
}
/// Their perimeters, same units: 8/√2; Ramanujan's approximation π(3(a + b) - √((3a + b)(a + 3b)))
/// for the ellipse (error far below what it is used for); two unit sides and two half-circles of radius ½.
double unit_perimeter(int shape) {
    switch (shape) {
        case 0: return 8.0 / std::sqrt(2.0);
        case 1: return pi * (3 * 1.5 - std::sqrt(3.5 * 2.5));
        default: return 2.0 + pi;
    }
}
}  // namespace

TEST_CASE("shapes: pixel sums match the analytic areas") {
    for (int size : {28, 64}) {
        const int ss = 8;
        const data::shapes d(data::shapes_options{}.image_size(size).supersample(ss));
        for (int shape = 0; shape < 3; ++shape)
            for (int scale : {0, 2, 5})
                for (int orientation : {0, 3, 7})
                    for (int pos : {0, 7, 15}) {
                        const shape_factors f{shape, scale, orientation, pos, 15 - pos};
                        const double r = 0.2 * d.factor_value(shape_factor::scale, scale) * size;
                        const auto m = measure(image(d, f), size);
                        CAPTURE(size);
                        CAPTURE(shape);
                        CAPTURE(scale);
                        // Sampling at cell centres misjudges at most half a sample spacing (1/(2·ss) pixel)
                        // along the boundary; that is reached only by edges aligned with the grid.
                        const double bound = unit_perimeter(shape) * r / (2.0 * ss);
                        CHECK(std::abs(m.area - unit_area(shape) * r * r) <= bound);
                    }
    }
}

TEST_CASE("shapes: values lie in [0, 1] and are 0 or 1 without supersampling") {
    const data::shapes aa(data::shapes_options{}.orientations(8).positions(4));
    const data::shapes hard(data::shapes_options{}.orientations(8).positions(4).supersample(1));
    bool some_partial = false;
    for (std::int64_t i = 0; i < aa.size(); i += 7) {
        std::int32_t y;
        std::vector<float> a(784), h(784);
        aa.read(i, a.data(), &y);
        hard.read(i, h.data(), &y);
        for (std::size_t k = 0; k < 784; ++k) {
            REQUIRE(a[k] >= 0.0f);
            REQUIRE(a[k] <= 1.0f);
            some_partial = some_partial || (a[k] > 0.0f && a[k] < 1.0f);
            REQUIRE((h[k] == 0.0f || h[k] == 1.0f));
        }
    }
    CHECK(some_partial);
}

TEST_CASE("shapes: every shape stays off the border pixels, even the largest at the edges") {
    const data::shapes d(data::shapes_options{}.orientations(40));
    const int n = 28, last = d.factor_size(shape_factor::pos_x) - 1;
    for (int shape = 0; shape < 3; ++shape)
        for (int o = 0; o < 40; ++o)
            for (int px : {0, last})
                for (int py : {0, last}) {
                    const auto img = image(d, {shape, 5, o, px, py});
                    double border = 0;
                    for (int k = 0; k < n; ++k)
                        border += img[std::size_t(k)] + img[std::size_t((n - 1) * n + k)] + img[std::size_t(k * n)] +
                                  img[std::size_t(k * n + n - 1)];
                    REQUIRE(border == 0.0);
                }
}

TEST_CASE("shapes: the centroid follows pos_x and pos_y, in pixels") {
    const data::shapes d(data::shapes_options{}.image_size(64));
    const int n = 64;
    const double lo = 0.2 + 1.0 / n, step = (1 - 2 * lo) / 15;  // 16 positions over [lo, 1 - lo]
    for (int shape : {0, 1})  // symmetric shapes: centroid = centre
        for (int px : {0, 5, 15})
            for (int py : {0, 9, 15}) {
                const auto m = measure(image(d, {shape, 3, 2, px, py}), n);
                CHECK(std::abs(m.cx - (lo + step * px) * n) < 0.1);
                CHECK(std::abs(m.cy - (lo + step * py) * n) < 0.1);
            }
    // The heart moves rigidly: moving pos_x by k moves its centroid by k steps along x only
    // (up to the sampling of its boundary, which shifts with the sub-pixel offset: 0.1 pixel).
    const auto a = measure(image(d, {2, 4, 5, 3, 8}), n), b = measure(image(d, {2, 4, 5, 10, 8}), n);
    CHECK(std::abs(b.cx - a.cx - 7 * step * n) < 0.1);
    CHECK(std::abs(b.cy - a.cy) < 0.1);
}

TEST_CASE("shapes: orientation turns the shape anticlockwise by 2πk/n") {
    const int n = 64, orientations = 40;
    const data::shapes d(data::shapes_options{}.image_size(n).orientations(orientations));
    for (int o = 0; o < orientations; ++o) {
        const double theta = 2 * pi * o / orientations;
        CHECK(d.factor_value(shape_factor::orientation, o) == doctest::Approx(theta));
        // An ellipse's long axis (the second-moment matrix's principal axis) lies at θ, mod π.
        const auto m = measure(image(d, {1, 5, o, 8, 8}), n);
        const double axis = 0.5 * std::atan2(2 * m.xy, m.xx - m.yy);
        double diff = std::fmod(axis - theta, pi);
        if (diff > pi / 2) diff -= pi;
        if (diff < -pi / 2) diff += pi;
        CAPTURE(o);
        CHECK(std::abs(diff) < 0.01);
        // and its moments along and across the axis are 1/4 and 1/16 of r², r the bounding radius
        const double r = 0.2 * n, along = (m.xx + m.yy) / 2 + std::hypot((m.xx - m.yy) / 2, m.xy);
        CHECK(along / m.area == doctest::Approx(r * r / 4).epsilon(0.02));
    }
    // The heart points down at θ = 0 (its lobes above its centre) and up at θ = π.
    const double centre = d.factor_value(shape_factor::pos_y, 8) * n;
    CHECK(measure(image(d, {2, 5, 0, 8, 8}), n).cy < centre - 1);  // rows grow downwards
    CHECK(measure(image(d, {2, 5, 20, 8, 8}), n).cy > centre + 1);
    // A square at θ = π/2 is the same square.
    CHECK(image(d, {0, 3, 10, 4, 4}) == image(d, {0, 3, 0, 4, 4}));
}

TEST_CASE("shapes: scale values are dSprites' 0.5 … 1 and positions fill the free range") {
    const data::shapes d;
    for (int k = 0; k < 6; ++k) CHECK(d.factor_value(shape_factor::scale, k) == doctest::Approx(0.5 + 0.1 * k));
    CHECK(d.factor_value(shape_factor::pos_x, 0) == doctest::Approx(0.2 + 1.0 / 28));
    CHECK(d.factor_value(shape_factor::pos_y, 15) == doctest::Approx(0.8 - 1.0 / 28));
    CHECK_THROWS_AS(d.factor_value(shape_factor::scale, 6), config_error);
}

TEST_CASE("shapes: the grid, its order and its sizes") {
    const data::shapes d;
    CHECK(d.factor_sizes() == std::array<int, 5>{3, 6, 20, 16, 16});
    CHECK(d.size() == 3 * 6 * 20 * 16 * 16);
    CHECK(d.grid_size() == d.size());
    CHECK(d.layout().shape == std::vector<std::int64_t>{1, 28, 28});
    // pos_y fastest, shape slowest
    CHECK(d.factors_of(0) == shape_factors{0, 0, 0, 0, 0});
    CHECK(d.factors_of(1) == shape_factors{0, 0, 0, 0, 1});
    CHECK(d.factors_of(16) == shape_factors{0, 0, 0, 1, 0});
    CHECK(d.factors_of(16 * 16 * 20 * 6) == shape_factors{1, 0, 0, 0, 0});
    CHECK(d.factors_of(d.size() - 1) == shape_factors{2, 5, 19, 15, 15});
    CHECK_THROWS_AS(d.factors_of(d.size()), shape_error);
    CHECK_THROWS_AS(d.find_index({3, 0, 0, 0, 0}), config_error);
    CHECK_THROWS_AS(d.find_index({0, 0, 0, -1, 0}), config_error);
}

TEST_CASE("shapes: find_index inverts factors_of, in every kind of part") {
    auto heart_left = [](const shape_factors& f) { return f.shape == 2 && f.pos_x < 2; };
    const auto small = data::shapes_options{}.scales(2).orientations(3).positions(4);
    const std::vector<data::shapes> parts = {
        data::shapes(small),
        data::shapes(small, data::shapes_part::all),
        data::shapes(data::shapes_options(small).hold_out(heart_left)),
        data::shapes(data::shapes_options(small).hold_out(heart_left), data::shapes_part::held_out),
        data::shapes(data::shapes_options(small).shuffle(11)),
        data::shapes(data::shapes_options(small).hold_out(heart_left).shuffle(11).limit(100)),
        data::shapes(data::shapes_options(small).limit(50)),
    };
    for (const auto& d : parts) {
        std::set<std::int64_t> seen;
        for (std::int64_t i = 0; i < d.size(); ++i) {
            const auto f = d.factors_of(i);
            REQUIRE(d.find_index(f) == std::optional<std::int64_t>(i));
            REQUIRE(d.grid_index(f) == d.grid_index_of(i));
            REQUIRE(d.factors_at(d.grid_index(f)) == f);
            seen.insert(d.grid_index(f));
        }
        CHECK(seen.size() == std::size_t(d.size()));  // no combination twice
        // the combinations absent from the part are reported absent
        std::int64_t found = 0;
        for (std::int64_t g = 0; g < d.grid_size(); ++g) found += d.find_index(d.factors_at(g)).has_value();
        CHECK(found == d.size());
    }
    CHECK(parts[5].size() == 100);
    CHECK(parts[6].size() == 50);
    CHECK(parts[6].factors_of(49) == parts[0].factors_of(49));
    // the full dSprites grid round-trips too, at a stride
    const data::shapes big(data::shapes_options::dsprites());
    for (std::int64_t i = 0; i < big.size(); i += 997) REQUIRE(big.find_index(big.factors_of(i)) == i);
}

TEST_CASE("shapes: held-out combinations never appear in train") {
    auto pred = [](const shape_factors& f) { return f.shape == 2 && f.scale >= 4 && f.pos_x >= 8; };
    const auto opts = data::shapes_options{}.hold_out(pred);
    const data::shapes train(opts), held(opts, data::shapes_part::held_out), all(opts, data::shapes_part::all);
    // by hand: hearts (1 of 3) × scales 4, 5 (2 of 6) × pos_x 8…15 (8 of 16) × 20 orientations × 16 pos_y
    const std::int64_t expected_held = 1 * 2 * 20 * 8 * 16;
    CHECK(held.size() == expected_held);
    CHECK(train.size() == all.size() - expected_held);
    for (std::int64_t i = 0; i < train.size(); ++i) REQUIRE(!pred(train.factors_of(i)));
    for (std::int64_t i = 0; i < held.size(); ++i) REQUIRE(pred(held.factors_of(i)));
    const shape_factors f{2, 5, 0, 10, 3};
    CHECK(train.is_held_out(f));
    CHECK(!train.find_index(f).has_value());
    CHECK(held.find_index(f).has_value());
    CHECK(all.find_index(f) == all.grid_index(f));
    // Without a predicate, nothing is held out.
    const data::shapes none(data::shapes_options{}, data::shapes_part::held_out);
    CHECK(none.size() == 0);
    // Shuffling and limiting train never brings a held-out combination back.
    const data::shapes shuffled(data::shapes_options(opts).shuffle(3).limit(5000));
    for (std::int64_t i = 0; i < shuffled.size(); ++i) REQUIRE(!pred(shuffled.factors_of(i)));
}

TEST_CASE("shapes: labels, categorical or binary rules, and which factors are identity") {
    using data::shape_label;
    const data::shapes by_shape;
    CHECK(by_shape.layout().label_width == 1);
    CHECK(by_shape.layout().classes == 3);
    CHECK(by_shape.layout().label_names == std::vector<std::string>{"shape"});
    CHECK(by_shape.is_label_factor(shape_factor::shape));
    CHECK(!by_shape.is_label_factor(shape_factor::pos_x));
    std::vector<float> x(784);
    for (std::int64_t i = 0; i < by_shape.size(); i += 1013) {
        std::int32_t y = -1;
        by_shape.read(i, x.data(), &y);
        CHECK(y == by_shape.factors_of(i).shape);
    }
    const data::shapes by_scale(data::shapes_options{}.label(shape_factor::scale));
    CHECK(by_scale.layout().classes == 6);
    CHECK(by_scale.layout().label_names == std::vector<std::string>{"scale"});

    const data::shapes binary(data::shapes_options{}.labels(
        {shape_label::equals(shape_factor::shape, 2), shape_label::at_least(shape_factor::scale, 3, "big")}));
    CHECK(binary.layout().label_width == 2);
    CHECK(binary.layout().classes == 2);
    CHECK(binary.layout().label_names == std::vector<std::string>{"shape_is2", "big"});
    std::int64_t hearts = 0, bigs = 0;
    for (std::int64_t i = 0; i < binary.size(); ++i) {
        std::int32_t y[2];
        binary.labels_of(binary.factors_of(i), y);
        const auto f = binary.factors_of(i);
        REQUIRE(y[0] == (f.shape == 2 ? 1 : 0));
        REQUIRE(y[1] == (f.scale >= 3 ? 1 : 0));
        hearts += y[0];
        bigs += y[1];
    }
    CHECK(hearts * 3 == binary.size());
    CHECK(bigs * 2 == binary.size());
    // read writes the same labels as labels_of
    std::int32_t y[2];
    binary.read(12345, x.data(), y);
    CHECK(y[0] == (binary.factors_of(12345).shape == 2));

    // identity transfer: the same identity with another label, found exactly
    auto f = by_shape.factors_of(777);
    f.shape = (f.shape + 1) % 3;
    const auto j = by_shape.find_index(f);
    REQUIRE(j.has_value());
    const auto g = by_shape.factors_of(*j);
    CHECK(g.shape != by_shape.factors_of(777).shape);
    CHECK((g.scale == f.scale && g.orientation == f.orientation && g.pos_x == f.pos_x && g.pos_y == f.pos_y));

    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.labels(
                        {shape_label::categorical(shape_factor::shape), shape_label::equals(shape_factor::scale, 1)})),
                    config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.labels({shape_label::at_least(shape_factor::scale, 6)})),
                    config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.labels({})), config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.scales(1).label(shape_factor::scale)), config_error);
}

TEST_CASE("shapes: rendering is deterministic, and a seed fixes the shuffled order") {
    const data::shapes a, b;
    std::vector<float> xa(784), xb(784);
    std::int32_t ya, yb;
    for (std::int64_t i : {0, 1, 5000, 92159}) {
        a.read(i, xa.data(), &ya);
        b.read(i, xb.data(), &yb);
        CHECK(xa == xb);
        CHECK(ya == yb);
    }
    const auto opts = data::shapes_options{}.positions(4);
    const data::shapes s1(data::shapes_options(opts).shuffle(9)), s2(data::shapes_options(opts).shuffle(9)),
        s3(data::shapes_options(opts).shuffle(10)), plain(opts);
    bool differs_from_plain = false, differs_between_seeds = false;
    for (std::int64_t i = 0; i < s1.size(); ++i) {
        REQUIRE(s1.factors_of(i) == s2.factors_of(i));
        differs_from_plain = differs_from_plain || !(s1.factors_of(i) == plain.factors_of(i));
        differs_between_seeds = differs_between_seeds || !(s1.factors_of(i) == s3.factors_of(i));
    }
    CHECK(differs_from_plain);
    CHECK(differs_between_seeds);
}

TEST_CASE("shapes: 64×64 on request, dSprites' grid") {
    const data::shapes d(data::shapes_options::dsprites());
    CHECK(d.layout().shape == std::vector<std::int64_t>{1, 64, 64});
    CHECK(d.layout().features() == 4096);
    CHECK(d.size() == 737280);  // dSprites' 3 × 6 × 40 × 32 × 32
    std::vector<float> x(4096);
    std::int32_t y;
    d.read(d.size() - 1, x.data(), &y);
    CHECK(y == 2);
    const auto m = measure(x, 64);
    const double r = 0.2 * 64;
    CHECK(m.area == doctest::Approx(unit_area(2) * r * r).epsilon(0.01));
    CHECK(m.cx > 32);  // last position: bottom right
    CHECK(m.cy > 32);
}

TEST_CASE("shapes: bad options are config errors naming the option") {
    CHECK_THROWS_WITH_AS(data::shapes(data::shapes_options{}.image_size(4)),
                         "shapes_options: image_size 4 outside [8, 4096]", config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.supersample(0)), config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.positions(0)), config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.limit(-1)), config_error);
}

TEST_CASE("shapes: several categorical labels are the factors' value indices, one column each (for triplets)") {
    using data::shape_label;
    const data::shapes s(data::shapes_options{}.factor_labels(
        {shape_factor::shape, shape_factor::scale, shape_factor::orientation, shape_factor::pos_x}));
    CHECK(s.layout().label_width == 4);
    CHECK(s.layout().classes == 20);  // the largest factor: 20 orientations
    CHECK_FALSE(s.layout().categorical());  // read as value indices, not one class
    CHECK(s.layout().label_names == std::vector<std::string>{"shape", "scale", "orientation", "pos_x"});
    std::vector<float> x(784);
    std::int32_t y[4];
    for (const std::int64_t i : {std::int64_t{0}, std::int64_t{12345}, s.size() - 1}) {
        s.read(i, x.data(), y);
        const shape_factors f = s.factors_of(i);
        CHECK(y[0] == f.shape);
        CHECK(y[1] == f.scale);
        CHECK(y[2] == f.orientation);
        CHECK(y[3] == f.pos_x);
    }
    // The same with explicit rules; a single categorical label keeps its classes.
    const data::shapes two(data::shapes_options{}.labels(
        {shape_label::categorical(shape_factor::scale), shape_label::categorical(shape_factor::shape)}));
    CHECK(two.layout().label_width == 2);
    CHECK(two.layout().classes == 6);
    CHECK(data::shapes(data::shapes_options{}.label(shape_factor::scale)).layout().classes == 6);
    // Categorical and binary rules do not mix; a one-valued factor is still refused.
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.labels(
                        {shape_label::categorical(shape_factor::scale), shape_label::at_least(shape_factor::shape, 1)})),
                    config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.scales(1).factor_labels({shape_factor::shape, shape_factor::scale})),
                    config_error);
    CHECK_THROWS_AS(data::shapes(data::shapes_options{}.factor_labels({})), config_error);
}
