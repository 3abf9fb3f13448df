#include <doctest/doctest.h>

#include <latent/core/rng.hpp>
#include <latent/eval/pca.hpp>

#include <cmath>
#include <vector>

using namespace latent;

namespace {
double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}
}  // namespace

TEST_CASE("pca: an anisotropic Gaussian's axes and variances") {
    // orthonormal axes: u1 = (1, 2, 2)/3, u2 = (2, 1, -2)/3, u3 = (2, -2, 1)/3; deviations 3, 1, 0.5
    const std::vector<std::vector<double>> u{{1 / 3.0, 2 / 3.0, 2 / 3.0}, {2 / 3.0, 1 / 3.0, -2 / 3.0},
                                             {2 / 3.0, -2 / 3.0, 1 / 3.0}};
    const double sd[3] = {3, 1, 0.5}, mean[3] = {1, -2, 0.5};
    constexpr std::int64_t n = 20000;
    generator gen(2);
    const philox_range r = gen.take(3 * n);
    std::vector<double> x;
    for (std::int64_t i = 0; i < n; ++i) {
        double p[3] = {mean[0], mean[1], mean[2]};
        for (int k = 0; k < 3; ++k) {
            const double e = sd[k] * r.normal(static_cast<std::uint64_t>(3 * i + k));
            for (int j = 0; j < 3; ++j) p[j] += e * u[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
        }
        x.insert(x.end(), p, p + 3);
    }
    const auto pc = eval::principal_directions({x, 3});
    REQUIRE(pc.directions.size() == 3);
    for (int k = 0; k < 3; ++k) {
        const auto ks = static_cast<std::size_t>(k);
        CHECK(pc.variances[ks] == doctest::Approx(sd[k] * sd[k]).epsilon(0.04));
        CHECK(std::abs(dot(pc.directions[ks], u[ks])) > 0.995);
        CHECK(dot(pc.directions[ks], pc.directions[ks]) == doctest::Approx(1.0));
        CHECK(pc.mean[ks] == doctest::Approx(mean[k]).epsilon(0.05).scale(1.0));
        // sign convention: the largest-magnitude coordinate is positive
        double big = 0;
        for (double v : pc.directions[ks]) big = std::abs(v) > std::abs(big) ? v : big;
        CHECK(big > 0);
    }
    CHECK(std::abs(dot(pc.directions[0], pc.directions[1])) < 1e-12);
    // one standard deviation along the first axis
    const auto p = pc.point({1.0});
    for (std::size_t j = 0; j < 3; ++j)
        CHECK(p[j] == doctest::Approx(pc.mean[j] + std::sqrt(pc.variances[0]) * pc.directions[0][j]));
}

TEST_CASE("pca: three points worked by hand, and too few points refused") {
    // (0,0), (2,0), (4,0): mean (2,0), variance 4 along x (1/(n−1) of 8), 0 along y
    const std::vector<double> x{0, 0, 2, 0, 4, 0};
    const auto pc = eval::principal_directions({x, 2});
    CHECK(pc.mean[0] == doctest::Approx(2));
    CHECK(pc.variances[0] == doctest::Approx(4));
    CHECK(pc.variances[1] == doctest::Approx(0).scale(1));
    CHECK(pc.directions[0][0] == doctest::Approx(1));
    CHECK(pc.directions[0][1] == doctest::Approx(0).scale(1));
    const std::vector<double> one{1, 2};
    CHECK_THROWS_AS(eval::principal_directions({one, 2}), shape_error);
    CHECK_THROWS_AS(pc.point({1, 2, 3}), shape_error);
}
