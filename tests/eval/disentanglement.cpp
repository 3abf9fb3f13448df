#include <doctest/doctest.h>

#include <latent/core/rng.hpp>
#include <latent/eval/disentanglement.hpp>

#include <cmath>
#include <vector>

using namespace latent;

TEST_CASE("disentanglement: MIG of four points, worked by hand") {
    // factor v = (0, 0, 1, 1), H(v) = ln 2. z1 = v: I = ln 2. z2 = (0, 0, 0, 1):
    // I = ½ ln(4/3) + ¼ ln(2/3) + ¼ ln 2 = 0.2157616; gap = (ln 2 − 0.2157616) / ln 2 = 0.6887219
    const std::vector<double> codes{0, 0, 0, 0, 1, 0, 1, 1};  // rows (z1, z2)
    const std::vector<std::int32_t> v{0, 0, 1, 1};
    const auto r = eval::mutual_information_gap({codes, 2}, v);
    CHECK(r.entropy[0] == doctest::Approx(std::log(2.0)));
    CHECK(r.mutual_information[0][0] == doctest::Approx(std::log(2.0)));
    CHECK(r.mutual_information[0][1] == doctest::Approx(0.2157616).epsilon(1e-6));
    CHECK(r.mig == doctest::Approx(0.6887219).epsilon(1e-6));
    // swapping the latents changes nothing
    const std::vector<double> swapped{0, 0, 0, 0, 0, 1, 1, 1};
    CHECK(eval::mutual_information_gap({swapped, 2}, v).mig == doctest::Approx(r.mig));
}

TEST_CASE("disentanglement: one latent per factor scores about 1, codes independent of the factors about 0") {
    constexpr std::int64_t n = 6000;
    generator gen(3);
    const philox_range r = gen.take(static_cast<std::uint64_t>(4 * n));
    std::vector<std::int32_t> factors;  // [n, 2]: 5 values and 3 values
    std::vector<double> aligned, noise;  // [n, 3] each
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(4 * i);
        const auto a = static_cast<std::int32_t>(r.uniform(k) * 5), b = static_cast<std::int32_t>(r.uniform(k + 1) * 3);
        factors.push_back(a);
        factors.push_back(b);
        // latent 0 is factor 1 scaled, latent 1 is noise, latent 2 is factor 0 with a small jitter
        aligned.push_back(2.0 * b);
        aligned.push_back(r.normal(k + 2));
        aligned.push_back(a + 0.01 * r.normal(k + 3));
        noise.push_back(r.normal(k + 2));
        noise.push_back(r.normal(k + 3));
        noise.push_back(r.uniform(k + 3));
    }
    const auto good = eval::mutual_information_gap({aligned, 3}, {factors, 2});
    MESSAGE("aligned MIG ", good.mig, ", gaps ", good.gap[0], " ", good.gap[1]);
    CHECK(good.mig > 0.95);
    CHECK(good.entropy[0] == doctest::Approx(std::log(5.0)).epsilon(0.01));
    const auto bad = eval::mutual_information_gap({noise, 3}, {factors, 2});
    MESSAGE("independent MIG ", bad.mig);
    CHECK(bad.mig < 0.03);
}

TEST_CASE("disentanglement: constant factors are left out, and bad inputs are refused") {
    const std::vector<double> codes{0, 1, 2, 3};
    const std::vector<std::int32_t> mixed{0, 7, 0, 7, 1, 7, 1, 7};  // factor 0 varies, factor 1 is constant
    const auto r = eval::mutual_information_gap({codes, 1}, {mixed, 2});
    CHECK(std::isnan(r.gap[1]));
    CHECK(r.mig == doctest::Approx(1.0));  // one latent: gap = I / H, and z determines factor 0
    const std::vector<std::int32_t> constant{7, 7, 7, 7}, short_f{0, 1, 0};
    CHECK_THROWS_AS(eval::mutual_information_gap({codes, 1}, constant), config_error);
    CHECK_THROWS_AS(eval::mutual_information_gap({codes, 1}, short_f), shape_error);
    CHECK_THROWS_AS(eval::mutual_information_gap({codes, 1}, {mixed, 2}, 1), config_error);
    CHECK_THROWS_AS(eval::mutual_information_gap({codes, 1}, mixed), shape_error);  // 8 rows of one factor
}
