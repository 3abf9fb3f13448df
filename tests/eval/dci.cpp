#include <doctest/doctest.h>

#include <latent/core/rng.hpp>
#include <latent/eval/dci.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace latent;
using doctest::Approx;
using doctest::Contains;

TEST_CASE("dci: disentanglement and completeness of an importance matrix, worked by hand") {
    // R = [[1, 0], [1, 1], [0, 0]]: coordinate 0 serves factor 0 only (D = 1), coordinate 1 both
    // equally (D = 1 − ln 2 / ln 2 = 0), coordinate 2 nothing (D = 0, weight 0); weights 1/3, 2/3, 0.
    // Factor 0 is spread evenly over two of three coordinates: C = 1 − ln 2 / ln 3 = 0.3690702;
    // factor 1 sits in one: C = 1. Factor weights 2/3, 1/3: C = 0.2460468 + 0.3333333 = 0.5793801.
    const auto r = eval::dci_from_importance({{1, 0}, {1, 1}, {0, 0}});
    CHECK(r.code_disentanglement == std::vector<double>{1, 0, 0});
    CHECK(r.code_weight[0] == Approx(1.0 / 3));
    CHECK(r.code_weight[1] == Approx(2.0 / 3));
    CHECK(r.code_weight[2] == 0.0);
    CHECK(r.disentanglement == Approx(1.0 / 3));
    CHECK(r.factor_completeness[0] == Approx(0.3690702).epsilon(1e-6));
    CHECK(r.factor_completeness[1] == Approx(1.0));
    CHECK(r.factor_weight[0] == Approx(2.0 / 3));
    CHECK(r.completeness == Approx(0.5793801).epsilon(1e-6));
    CHECK(r.r_squared.empty());
    // permuting rows and columns permutes the parts only
    const auto p = eval::dci_from_importance({{0, 0}, {1, 1}, {0, 1}});
    CHECK(p.disentanglement == Approx(r.disentanglement));
    CHECK(p.completeness == Approx(r.completeness));
    // one row (2, 1, 1): P = (½, ¼, ¼), H = 1.5 ln 2, D = 1 − 1.5 ln 2 / ln 3 = 0.0536053;
    // with one coordinate every used factor is complete
    const auto one_code = eval::dci_from_importance({{2, 1, 1}});
    CHECK(one_code.disentanglement == Approx(0.0536053).epsilon(1e-6));
    CHECK(one_code.completeness == Approx(1.0));
    // one factor: every used coordinate is disentangled; C from the column (3, 1, 0):
    // H = −(¾ ln ¾ + ¼ ln ¼) = 0.5623351, C = 1 − 0.5623351 / 1.0986123 = 0.4881405
    const auto one_factor = eval::dci_from_importance({{3}, {1}, {0}});
    CHECK(one_factor.code_disentanglement == std::vector<double>{1, 1, 0});
    CHECK(one_factor.disentanglement == Approx(1.0));
    CHECK(one_factor.completeness == Approx(0.4881405).epsilon(1e-6));
    // nothing predicts anything
    const auto zero = eval::dci_from_importance({{0, 0}, {0, 0}});
    CHECK(zero.disentanglement == 0.0);
    CHECK(zero.completeness == 0.0);

    CHECK_THROWS_WITH_AS(eval::dci_from_importance({}), Contains("dci_from_importance"), shape_error);
    CHECK_THROWS_WITH_AS(eval::dci_from_importance({{1, 0}, {1}}), Contains("dci_from_importance: row 1"),
                         shape_error);
    CHECK_THROWS_WITH_AS(eval::dci_from_importance({{1, -0.5}}), Contains("dci_from_importance"), config_error);
    CHECK_THROWS_AS(eval::dci_from_importance({{std::numeric_limits<double>::quiet_NaN()}}), config_error);
}

TEST_CASE("dci: the lasso against hand solutions") {
    // orthogonal centred columns of variance 1: each coefficient is its covariance with y,
    // soft-thresholded by α. y = 2·x0 + 0.5·x1 + 3: covariances 2 and 0.5.
    const std::vector<double> x{1, 1, -1, 1, 1, -1, -1, -1};
    const std::vector<double> y{5.5, 1.5, 4.5, 0.5};
    const auto a = eval::lasso({x, 2}, y, eval::lasso_options{}.alpha(0.3));
    CHECK(a.coefficients[0] == Approx(1.7));
    CHECK(a.coefficients[1] == Approx(0.2));
    CHECK(a.intercept == Approx(3.0));
    CHECK(a.converged);
    const auto b = eval::lasso({x, 2}, y, eval::lasso_options{}.alpha(1.0));
    CHECK(b.coefficients[0] == Approx(1.0));
    CHECK(b.coefficients[1] == 0.0);
    const auto c = eval::lasso({x, 2}, y, eval::lasso_options{}.alpha(2.0));  // α = max covariance
    CHECK(c.coefficients == std::vector<double>{0, 0});
    CHECK(c.intercept == Approx(3.0));
    CHECK(c.r_squared == 0.0);

    // y = 2·x0 exactly, x0 and x1 random (correlated by chance), a constant third column
    constexpr std::int64_t n = 500;
    generator gen(2);
    const philox_range r = gen.take(2 * n);
    std::vector<double> xs, ys;
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(2 * i);
        const double x0 = r.normal(k), x1 = r.normal(k + 1);
        xs.insert(xs.end(), {x0, x1, 4.0});
        ys.push_back(2 * x0);
    }
    const auto tiny = eval::lasso({xs, 3}, ys, eval::lasso_options{}.alpha(1e-10));
    CHECK(tiny.coefficients[0] == Approx(2.0).epsilon(1e-6));
    CHECK(std::abs(tiny.coefficients[1]) < 1e-6);
    CHECK(tiny.coefficients[2] == 0.0);
    CHECK(std::abs(tiny.intercept) < 1e-6);
    CHECK(tiny.r_squared == Approx(1.0));
    const auto big = eval::lasso({xs, 3}, ys, eval::lasso_options{}.alpha(10));
    CHECK(big.coefficients == std::vector<double>{0, 0, 0});
    double mean = 0;
    for (const double v : ys) mean += v / n;
    CHECK(big.intercept == Approx(mean));

    CHECK_THROWS_WITH_AS(eval::lasso({xs, 3}, y), Contains("lasso: 500×3 inputs but 4 targets"), shape_error);
    CHECK_THROWS_AS(eval::lasso_options{}.alpha(-1), config_error);
    CHECK_THROWS_AS(eval::lasso_options{}.max_iterations(0), config_error);
    CHECK_THROWS_AS(eval::lasso_options{}.tolerance(0), config_error);
}

namespace {
struct synthetic {
    std::vector<std::int32_t> factors;  // [n, 3]: 5, 4 and 6 values
    std::vector<double> aligned;        // [n, 4]: factor 2, noise, factor 0, factor 1, each jittered
    std::vector<double> mixed;          // [n, 3]: the same mix of all factors plus its own noise
};

synthetic make_synthetic(std::int64_t n) {
    synthetic s;
    generator gen(7);
    const philox_range r = gen.take(static_cast<std::uint64_t>(8 * n));
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(8 * i);
        const auto a = static_cast<std::int32_t>(r.uniform(k) * 5), b = static_cast<std::int32_t>(r.uniform(k + 1) * 4),
                   c = static_cast<std::int32_t>(r.uniform(k + 2) * 6);
        s.factors.insert(s.factors.end(), {a, b, c});
        s.aligned.insert(s.aligned.end(), {0.7 * c + 0.05 * r.normal(k + 3), r.normal(k + 4),
                                           a + 0.05 * r.normal(k + 5), 3.0 * b + 0.05 * r.normal(k + 6)});
        // each factor in units of its own standard deviation (uniform on m values: √((m² − 1)/12))
        const double mix = (a - 2.0) / std::sqrt(2.0) + (b - 1.5) / std::sqrt(1.25) + (c - 2.5) / std::sqrt(35.0 / 12);
        for (std::uint64_t j = 0; j < 3; ++j) s.mixed.push_back(mix + r.normal(k + 5 + j));
    }
    return s;
}
}  // namespace

TEST_CASE("dci: one coordinate per factor scores about 1, a common mix of every factor about 0") {
    const synthetic s = make_synthetic(3000);
    const auto good = eval::dci({s.aligned, 4}, {s.factors, 3});
    MESSAGE("aligned: D ", good.disentanglement, ", C ", good.completeness);
    CHECK(good.disentanglement > 0.97);
    CHECK(good.completeness > 0.97);
    // the coordinate each factor leans on most
    const std::vector<std::size_t> owner{2, 3, 0};
    for (std::size_t k = 0; k < 3; ++k) {
        std::size_t best = 0;
        for (std::size_t j = 1; j < 4; ++j)
            if (good.importance[j][k] > good.importance[best][k]) best = j;
        CHECK(best == owner[k]);
        CHECK(good.importance[owner[k]][k] > 0.9);  // standardised, so near the correlation ≈ 1 less α
        CHECK(good.r_squared[k] > 0.99);
    }
    CHECK(good.code_weight[1] < 0.01);  // the noise coordinate predicts nothing

    const auto bad = eval::dci({s.mixed, 3}, {s.factors, 3});
    MESSAGE("mixed: D ", bad.disentanglement, ", C ", bad.completeness);
    CHECK(bad.disentanglement < 0.05);
    CHECK(bad.completeness < 0.05);

    // no randomness: the same inputs give the same report
    CHECK(eval::dci({s.mixed, 3}, {s.factors, 3}).importance == bad.importance);
}

TEST_CASE("dci: constant factors are left out, and bad inputs are refused") {
    // factor 1 constant; with one factor left every used coordinate is disentangled (D = 1)
    const std::vector<std::int32_t> factors{0, 9, 1, 9, 2, 9, 3, 9, 0, 9, 1, 9};
    const std::vector<double> codes{0, 1, 1, 0.5, 2, 0.25, 3, 1, 0, 0, 1, 0.75};  // (factor 0, noise)
    const auto r = eval::dci({codes, 2}, {factors, 2}, eval::lasso_options{}.alpha(1e-6));
    CHECK(r.importance[0][1] == 0.0);
    CHECK(r.importance[1][1] == 0.0);
    CHECK(std::isnan(r.factor_completeness[1]));
    CHECK(std::isnan(r.r_squared[1]));
    CHECK(r.factor_weight[1] == 0.0);
    CHECK(r.importance[0][0] == Approx(1.0).epsilon(1e-4));  // standardised y = standardised z_0
    CHECK(r.importance[1][0] < 1e-4);
    CHECK(r.disentanglement == Approx(1.0));
    CHECK(r.factor_completeness[0] > 0.99);

    const std::vector<std::int32_t> constant{4, 4, 4, 4}, short_f{0, 1, 0};
    const std::vector<double> four{0, 1, 2, 3};
    CHECK_THROWS_WITH_AS(eval::dci({four, 1}, constant), Contains("dci: every one of the 1 factors"), config_error);
    CHECK_THROWS_WITH_AS(eval::dci({four, 1}, short_f), Contains("dci: 4 codes but 3"), shape_error);
    eval::host_labels no_factors;
    no_factors.n = 4;
    no_factors.width = 0;
    CHECK_THROWS_WITH_AS(eval::dci({four, 1}, no_factors), Contains("dci: factors 4×0"), shape_error);
    const std::vector<double> one{0};
    const std::vector<std::int32_t> one_f{0};
    CHECK_THROWS_WITH_AS(eval::dci({one, 1}, one_f), Contains("dci: need at least 2 codes"), shape_error);
}
