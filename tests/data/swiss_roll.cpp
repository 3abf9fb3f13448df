#include <doctest/doctest.h>

#include <latent/data/swiss_roll.hpp>

#include <cmath>
#include <numbers>
#include <vector>

using namespace latent;

namespace {
std::vector<float> row(const data::in_memory& d, std::int64_t i, std::int32_t* label) {
    std::vector<float> x(3);
    d.read(i, x.data(), label);
    return x;
}
}  // namespace

TEST_CASE("swiss_roll: points follow sklearn's formula on the Philox uniforms drawn") {
    const std::int64_t n = 5;
    const auto roll = data::make_swiss_roll(n, std::uint64_t{1234});
    CHECK(roll.data.size() == n);
    CHECK(roll.data.layout().shape == std::vector<std::int64_t>{3});
    CHECK(roll.data.layout().label_width == 1);
    CHECK(roll.data.layout().classes == 2);
    CHECK(roll.data.layout().label_names == std::vector<std::string>{"half"});
    REQUIRE(roll.t.size() == 5);
    // The draws, taken here from a generator of the same seed in the documented order: u then v.
    generator g(1234);
    const auto us = g.take(n), vs = g.take(n);
    const double pi = 3.14159265358979323846;
    for (std::int64_t i = 0; i < n; ++i) {
        const double u = us.uniform(std::uint64_t(i)), v = vs.uniform(std::uint64_t(i));
        const double t = 1.5 * pi + 3.0 * pi * u;  // 1.5π(1 + 2u), expanded
        std::int32_t y = -1;
        const auto x = row(roll.data, i, &y);
        CHECK(roll.t[std::size_t(i)] == doctest::Approx(t).epsilon(1e-14));
        CHECK(x[0] == doctest::Approx(t * std::cos(t)).epsilon(1e-6));
        CHECK(x[1] == doctest::Approx(21.0 * v).epsilon(1e-6));
        CHECK(x[2] == doctest::Approx(t * std::sin(t)).epsilon(1e-6));
        CHECK(y == (t < 3.0 * pi ? 0 : 1));
    }
}

TEST_CASE("swiss_roll: every point lies on the roll, within its ranges") {
    const auto roll = data::make_swiss_roll(2000, std::uint64_t{7});
    const double pi = std::numbers::pi;
    for (std::int64_t i = 0; i < roll.data.size(); ++i) {
        std::int32_t y;
        const auto x = row(roll.data, i, &y);
        const double t = roll.t[std::size_t(i)];
        REQUIRE(t >= 1.5 * pi);
        REQUIRE(t < 4.5 * pi);
        // the radius in the (x, z) plane is t itself
        CHECK(std::hypot(double(x[0]), double(x[2])) == doctest::Approx(t).epsilon(1e-6));
        CHECK(x[1] >= 0.0f);
        CHECK(x[1] < 21.0f);
    }
}

TEST_CASE("swiss_roll: the two halves are balanced") {
    const std::int64_t n = 20000;
    for (auto split : {data::swiss_roll_options::halves::by_t, data::swiss_roll_options::halves::by_height}) {
        const auto roll = data::make_swiss_roll(n, std::uint64_t{99}, data::swiss_roll_options{}.split(split));
        std::int64_t ones = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            std::int32_t y;
            const auto x = row(roll.data, i, &y);
            ones += y;
            if (split == data::swiss_roll_options::halves::by_t)
                CHECK(y == (roll.t[std::size_t(i)] < 3 * std::numbers::pi ? 0 : 1));
            else
                CHECK(y == (x[1] < 10.5f ? 0 : 1));
        }
        // Binomial(20000, ½): sd ≈ 71, so ±500 is 7 sd.
        CHECK(std::abs(ones - n / 2) < 500);
    }
}

TEST_CASE("swiss_roll: the same seed gives the same roll, another seed another") {
    const auto opts = data::swiss_roll_options{}.noise(0.5);
    const auto a = data::make_swiss_roll(100, std::uint64_t{5}, opts);
    const auto b = data::make_swiss_roll(100, std::uint64_t{5}, opts);
    const auto c = data::make_swiss_roll(100, std::uint64_t{6}, opts);
    CHECK(a.t == b.t);
    CHECK(a.t != c.t);
    CHECK(a.data.labels() == b.data.labels());
    for (std::int64_t i = 0; i < 100; ++i) {
        std::int32_t y;
        CHECK(row(a.data, i, &y) == row(b.data, i, &y));
    }
    // The generator overload advances it: two rolls from one generator differ, and the
    // generator ends at offset 5n (u, v and 3 normals per point).
    generator g(5);
    const auto first = data::make_swiss_roll(100, g, opts);
    CHECK(g.offset() == 500);
    CHECK(first.t == a.t);
    const auto second = data::make_swiss_roll(100, g, opts);
    CHECK(second.t != a.t);
    generator quiet(5);
    (void)data::make_swiss_roll(100, quiet);
    CHECK(quiet.offset() == 200);
}

TEST_CASE("swiss_roll: noise has the standard deviation asked for, on each coordinate") {
    const std::int64_t n = 20000;
    const double sigma = 0.7;
    const auto clean = data::make_swiss_roll(n, std::uint64_t{3});
    const auto noisy = data::make_swiss_roll(n, std::uint64_t{3}, data::swiss_roll_options{}.noise(sigma));
    CHECK(clean.t == noisy.t);  // same u, v: noise is drawn after them
    CHECK(clean.data.labels() == noisy.data.labels());
    for (int k = 0; k < 3; ++k) {
        double sum = 0, sum2 = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            std::int32_t y;
            const double d = double(row(noisy.data, i, &y)[std::size_t(k)]) - double(row(clean.data, i, &y)[std::size_t(k)]);
            sum += d;
            sum2 += d * d;
        }
        const double mean = sum / double(n), sd = std::sqrt(sum2 / double(n) - mean * mean);
        // sd of the sample mean is 0.7/√20000 ≈ 0.005; of the sample sd ≈ 0.0035.
        CHECK(std::abs(mean) < 0.03);
        CHECK(sd == doctest::Approx(sigma).epsilon(0.03));
    }
}

TEST_CASE("swiss_roll: bad options are config errors") {
    CHECK_THROWS_AS(data::make_swiss_roll(10, std::uint64_t{0}, data::swiss_roll_options{}.noise(-1)), config_error);
    CHECK_THROWS_AS(data::make_swiss_roll(10, std::uint64_t{0}, data::swiss_roll_options{}.noise(NAN)), config_error);
    CHECK_THROWS_AS(data::make_swiss_roll(-1, std::uint64_t{0}), config_error);
    CHECK(data::make_swiss_roll(0, std::uint64_t{0}).data.size() == 0);
}
