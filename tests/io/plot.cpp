#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latent/io/plot.hpp>
#include <limits>
#include <string>
#include <vector>

#include "../support.hpp"

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

namespace {
rgb pixel(const image& img, int x, int y) { return {img.at(x, y, 0), img.at(x, y, 1), img.at(x, y, 2)}; }
int count_colour(const image& img, int x0, int y0, int x1, int y1, rgb c) {
    int n = 0;
    for (int y = std::max(y0, 0); y < std::min(y1, img.height); ++y)
        for (int x = std::max(x0, 0); x < std::min(x1, img.width); ++x) n += pixel(img, x, y) == c;
    return n;
}
}  // namespace

TEST_CASE("plot: the palette has at least ten colours far apart and away from white") {
    constexpr int n = sizeof plot_palette / sizeof plot_palette[0];
    CHECK(n >= 10);
    for (int i = 0; i < n; ++i) {
        const rgb a = plot_palette[i];
        CHECK(a.r + a.g + a.b < 650);
        for (int j = 0; j < i; ++j) {
            const rgb b = plot_palette[j];
            const double d = std::sqrt(std::pow(a.r - b.r, 2) + std::pow(a.g - b.g, 2) + std::pow(a.b - b.b, 2));
            CAPTURE(i);
            CAPTURE(j);
            CHECK(d > 70);
        }
    }
    CHECK(label_colour(12) == label_colour(0));
    CHECK(label_colour(-1) == rgb{190, 190, 190});
}

TEST_CASE("plot: the automatic range covers the finite points with a margin") {
    // x in [0, 10], y in [-1, 1]; 5% margins: 0.5 and 0.1. The NaN point is ignored.
    const std::vector<float> xy = {0, -1, 10, 1, 5, 0, std::numeric_limits<float>::quiet_NaN(), 100};
    const plot_range r = auto_range(xy);
    CHECK(r.x0 == doctest::Approx(-0.5));
    CHECK(r.x1 == doctest::Approx(10.5));
    CHECK(r.y0 == doctest::Approx(-1.1));
    CHECK(r.y1 == doctest::Approx(1.1));
    // One value on an axis: ±0.5 around it.
    const std::vector<float> flat = {3, 1, 3, 2};
    CHECK(auto_range(flat).x0 == doctest::Approx(2.5));
    CHECK(auto_range(flat).x1 == doctest::Approx(3.5));
    CHECK(auto_range({}).x1 == 1);
}

TEST_CASE("plot: ticks are steps of 1, 2 or 5 times a power of ten") {
    // (10 - 0)/5 = 2 → step 2; (1.1 + 1.1)/5 = 0.44 → 5·0.1; (0.037 - 0.0011)/5 ≈ 0.0072 → 7.2·0.001, rounded up to 0.01.
    CHECK(nice_ticks(0, 10) == std::vector<double>{0, 2, 4, 6, 8, 10});
    const auto t = nice_ticks(-1.1, 1.1);
    REQUIRE(t.size() == 5);
    CHECK(t[0] == doctest::Approx(-1.0));
    CHECK(t[2] == 0.0);
    CHECK(t[4] == doctest::Approx(1.0));
    const auto small = nice_ticks(0.0011, 0.037);
    REQUIRE(small.size() == 3);
    CHECK(small[0] == doctest::Approx(0.01));
    CHECK(small[2] == doctest::Approx(0.03));
    CHECK(nice_ticks(1, 1).empty());
    CHECK(tick_text(0.5, 0.5) == "0.5");
    CHECK(tick_text(20, 5) == "20");
    CHECK(tick_text(-1, 0.5) == "-1.0");
    CHECK(tick_text(0.005, 0.005) == "0.005");
    CHECK(tick_text(2e7, 1e7) == "2e+07");
}

TEST_CASE("plot: points are drawn in their label's colour where the layout maps them") {
    const std::vector<float> xy = {2, 3, 7, 8};
    const std::vector<std::int32_t> labels = {0, 1};
    const auto opts = scatter_options{}.range({0, 10, 0, 10}).point_radius(1).title("z");
    const scatter_layout l = layout_scatter(xy, labels, opts);
    // The layout's mapping by hand: x = 2 lies 20% of the way across the box; y = 8, 80% up.
    CHECK(l.px(2) == l.box_left + static_cast<int>(std::lround(0.2 * (l.box_right - l.box_left))));
    CHECK(l.py(8) == l.box_bottom - static_cast<int>(std::lround(0.8 * (l.box_bottom - l.box_top))));
    CHECK(l.px(0) == l.box_left);
    CHECK(l.py(10) == l.box_top);
    const image img = render_scatter(xy, labels, opts);
    CHECK(img.width == 560);
    CHECK(img.height == 420);
    CHECK(pixel(img, l.px(2), l.py(3)) == plot_palette[0]);
    CHECK(pixel(img, l.px(2) + 1, l.py(3)) == plot_palette[0]);
    CHECK(pixel(img, l.px(7), l.py(8)) == plot_palette[1]);
    // Radius 1: a plus-shaped disc of 5 pixels plus its 4 diagonal neighbours (dx² + dy² <= r² + r).
    CHECK(count_colour(img, l.box_left, l.box_top, l.box_right, l.box_bottom, plot_palette[0]) == 9);
    // The box: black lines at its edges.
    CHECK(pixel(img, l.box_left, (l.box_top + l.box_bottom) / 2) == rgb{0, 0, 0});
    CHECK(pixel(img, (l.box_left + l.box_right) / 2, l.box_bottom) == rgb{0, 0, 0});
    // Title: ink above the box; legend: a swatch of each label right of the box.
    CHECK(count_colour(img, 0, 0, img.width, l.box_top - 1, rgb{0, 0, 0}) > 5);
    CHECK(count_colour(img, l.box_right + 1, 0, img.width, img.height, plot_palette[0]) == 49);  // 7×7 swatch
    CHECK(count_colour(img, l.box_right + 1, 0, img.width, img.height, plot_palette[1]) == 49);
}

TEST_CASE("plot: points outside the given range or not finite are skipped") {
    const std::vector<float> xy = {20, 3, std::numeric_limits<float>::infinity(), 1, 5, 5};
    const std::vector<std::int32_t> labels = {2, 2, 3};
    const auto opts = scatter_options{}.range({0, 10, 0, 10}).point_radius(0);
    const image img = render_scatter(xy, labels, opts);
    const scatter_layout l = layout_scatter(xy, labels, opts);
    CHECK(count_colour(img, l.box_left, l.box_top, l.box_right, l.box_bottom, plot_palette[2]) == 0);
    CHECK(count_colour(img, l.box_left, l.box_top, l.box_right, l.box_bottom, plot_palette[3]) == 1);
}

TEST_CASE("plot: the points are also written as CSV x,y,label") {
    scratch s("plot");
    const std::vector<float> xy = {0.5f, -2, 1e-3f, 4};
    const std::vector<std::int32_t> labels = {1, 0};
    write_scatter_csv(s.dir / "z.csv", xy, labels);
    CHECK(slurp(s.dir / "z.csv") == "x,y,label\n0.5,-2,1\n0.001,4,0\n");

    const auto points = tensor<float, cpu>::from_host({2, 2}, {0.5f, -2, 1e-3f, 4});
    const auto ys = tensor<std::int32_t, cpu>::from_host({2}, {1, 0});
    write_scatter(s.dir / "z.png", s.dir / "z2.csv", points, ys,
                  scatter_options{}.title("projection on z").label_names({"inner", "outer"}));
    CHECK(slurp(s.dir / "z2.csv") == slurp(s.dir / "z.csv"));
    const image back = read_png(s.dir / "z.png");
    CHECK(back.width == 560);
    CHECK(back.channels == 3);
}

TEST_CASE("plot: mismatched sizes and bad options are refused") {
    const std::vector<float> xy = {1, 2, 3};
    const std::vector<std::int32_t> one = {0};
    CHECK_THROWS_AS(render_scatter(xy, one), shape_error);
    const std::vector<float> two = {1, 2, 3, 4};
    CHECK_THROWS_AS(render_scatter(two, one), shape_error);
    const std::vector<std::int32_t> labels = {0, 1};
    CHECK_THROWS_AS(render_scatter(two, labels, scatter_options{}.width(10)), config_error);
    CHECK_THROWS_AS(render_scatter(two, labels, scatter_options{}.range({1, 1, 0, 1})), config_error);
    CHECK_THROWS_AS(scatter_points(tensor<float, cpu>::from_host({1, 3}, {1, 2, 3}),
                                   tensor<std::int32_t, cpu>::from_host({1}, {0})),
                    shape_error);
}
