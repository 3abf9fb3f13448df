#include <doctest/doctest.h>

#include <latent/dist/normal.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>
#include <vector>

using namespace latent;
using dist::normal;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {
/// Sample mean and (unbiased) variance of column c of a [n, d] host matrix.
struct moments {
    double mean, var;
};
moments column_moments(const std::vector<double>& v, std::size_t cols, std::size_t c) {
    const std::size_t n = v.size() / cols;
    double s = 0;
    for (std::size_t r = 0; r < n; ++r) s += v[r * cols + c];
    const double m = s / double(n);
    double ss = 0;
    for (std::size_t r = 0; r < n; ++r) ss += (v[r * cols + c] - m) * (v[r * cols + c] - m);
    return {m, ss / double(n - 1)};
}

// Printed by tests/reference/dist.py (torch.distributions, float64).
const std::vector<double> normal_log_prob_elements = {-1.3799591968683926, -2.4345006207705717, -2.9064397107616715, -0.6541003239598178, -0.9189385332046727, 0.07679374034931508};
const std::vector<double> normal_log_prob = {-6.720899528400636, -1.4962451168151754};
const std::vector<double> normal_entropy = {4.151455083956192, 0.9044083821212947};
const std::vector<double> normal_broadcast_log_prob = {-5.683065599614018, -8.286815599614016};

// The inputs of tests/reference/dist.py.
const Td loc_ref = Td::from_host({2, 3}, {0.5, -1.0, 2.0, 0.0, 0.25, -3.0});
const Td scale_ref = Td::from_host({2, 3}, {1.5, 0.2, 3.0, 0.7, 1.0, 0.05});
const Td x_ref = Td::from_host({2, 3}, {1.0, -0.5, -2.0, 0.3, 0.25, -2.9});
}  // namespace

TEST_CASE("normal: log_prob and entropy against torch.distributions") {
    const normal<double> q{V(loc_ref), V(scale_ref)};
    const V elements = q.log_prob_elements(V(x_ref));
    CHECK(elements.shape() == latent::shape{2, 3});
    check_close(elements.value().to_vector(), normal_log_prob_elements);
    const V lp = q.log_prob(V(x_ref));
    CHECK(lp.shape() == latent::shape{2});
    check_close(lp.value().to_vector(), normal_log_prob);
    const V h = q.entropy();
    CHECK(h.shape() == latent::shape{2});
    check_close(h.value().to_vector(), normal_entropy);
}

TEST_CASE("normal: a prior with [1, d] parameters broadcasts over the batch") {
    const normal prior{V(Td::from_host({1, 3}, {0.1, -0.2, 0.3})), V(Td::from_host({1, 3}, {2.0, 0.5, 1.0}))};
    const V lp = prior.log_prob(V(x_ref));
    CHECK(lp.shape() == latent::shape{2});
    check_close(lp.value().to_vector(), normal_broadcast_log_prob);
    // a shared scale [1, d] with per-row locations: entropy is still one value per row
    const normal<double> shared{V(loc_ref), V(Td::from_host({1, 3}, {2.0, 0.5, 1.0}))};
    const V h = shared.entropy();
    REQUIRE(h.shape() == latent::shape{2});
    const double by_hand = 3 * 0.5 * std::log(2 * M_PI * M_E) + std::log(2.0) + std::log(0.5) + std::log(1.0);
    CHECK(h.value().to_vector()[0] == doctest::Approx(by_hand).epsilon(1e-14));
    CHECK(h.value().to_vector()[1] == doctest::Approx(by_hand).epsilon(1e-14));
}

TEST_CASE("normal: mismatched shapes are refused with both shapes named") {
    const normal<double> bad{V(Td::zeros({2, 3})), V(Td::ones({2, 4}))};
    CHECK_THROWS_AS(bad.entropy(), shape_error);
    generator gen(1);
    CHECK_THROWS_WITH_AS(bad.rsample(gen), doctest::Contains("[2, 3]"), shape_error);
    const normal<double> q{V(loc_ref), V(scale_ref)};
    CHECK_THROWS_WITH_AS(q.log_prob(V(Td::zeros({2, 4}))), doctest::Contains("normal.log_prob"), shape_error);
}

TEST_CASE("normal: gradcheck of log_prob with respect to x, loc and scale") {
    auto f = [](const Vs& v) { return normal<double>{v[1], v[2]}.log_prob(v[0]); };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({3, 4}, 1), uniform_tensor({3, 4}, 2),
                                   uniform_tensor({3, 4}, 3, 0.3, 2.0)}));
    // broadcast parameters [1, 4]: their gradients are summed over the batch
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({3, 4}, 4), uniform_tensor({1, 4}, 5),
                                   uniform_tensor({1, 4}, 6, 0.3, 2.0)}));
    auto elements = [](const Vs& v) { return normal<double>{v[1], v[2]}.log_prob_elements(v[0]); };
    check_ok(gradcheck<double, cpu>(elements, {uniform_tensor({2, 3}, 7), uniform_tensor({2, 3}, 8),
                                          uniform_tensor({2, 3}, 9, 0.3, 2.0)}));
}

TEST_CASE("normal: gradcheck of entropy with respect to scale") {
    auto f = [](const Vs& v) { return normal<double>{V(Td::zeros({3, 4})), v[0]}.entropy(); };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({3, 4}, 11, 0.3, 2.0)}));
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({1, 4}, 12, 0.3, 2.0)}));
}

TEST_CASE("normal: gradcheck of rsample with respect to loc and scale, epsilon held fixed") {
    const generator start(7, 3);
    auto f = [&](const Vs& v) {
        generator gen = start;  // the same ε at every evaluation
        return normal<double>{v[0], v[1]}.rsample(gen);
    };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({3, 4}, 13), uniform_tensor({3, 4}, 14, 0.3, 2.0)}));
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({3, 4}, 15), uniform_tensor({1, 4}, 16, 0.3, 2.0)}));
}

TEST_CASE("normal: rsample is loc + scale times the generator's normal fill") {
    generator gen(21), copy = gen;
    const normal<double> q{V(loc_ref), V(scale_ref)};
    const std::vector<double> z = q.rsample(gen).value().to_vector();
    CHECK(gen.offset() == copy.offset() + 6);
    Td eps({2, 3});
    normal_(eps, copy);
    const std::vector<double> e = eps.to_vector(), m = loc_ref.to_vector(), s = scale_ref.to_vector();
    for (std::size_t i = 0; i < 6; ++i) CHECK(z[i] == doctest::Approx(m[i] + s[i] * e[i]).epsilon(1e-15));
    // sample draws the same numbers, with no graph
    generator again(21);
    parameter<double> loc("loc", loc_ref.clone());
    const normal<double> p{loc.as_var(), V(scale_ref)};
    const Td t = p.sample(again);
    const std::vector<double> tv = t.to_vector();
    for (std::size_t i = 0; i < 6; ++i) CHECK(tv[i] == z[i]);
    CHECK(p.rsample(again).requires_grad());
}

TEST_CASE("normal: rsample moments match loc and scale within five standard errors") {
    const std::int64_t n = 40000;
    const std::vector<double> mu = {-1.5, 0.0, 4.0}, sigma = {0.5, 1.0, 3.0};
    std::vector<double> lv, sv;
    for (std::int64_t r = 0; r < n; ++r) {
        lv.insert(lv.end(), mu.begin(), mu.end());
        sv.insert(sv.end(), sigma.begin(), sigma.end());
    }
    const normal<double> q{V(Td::from_host({n, 3}, lv)), V(Td::from_host({n, 3}, sv))};
    generator gen(2024);
    const std::vector<double> z = q.rsample(gen).value().to_vector();
    for (std::size_t c = 0; c < 3; ++c) {
        INFO("column ", c);
        const moments m = column_moments(z, 3, c);
        const double se_mean = sigma[c] / std::sqrt(double(n));
        const double se_var = sigma[c] * sigma[c] * std::sqrt(2.0 / double(n - 1));
        CHECK(std::fabs(m.mean - mu[c]) < 5 * se_mean);
        CHECK(std::fabs(m.var - sigma[c] * sigma[c]) < 5 * se_var);
    }
}

TEST_CASE("normal: from_softplus clamps the scale at its floor") {
    const V raw(Td::from_host({1, 4}, {-20.0, 0.0, 1.0, 30.0}));
    const normal<double> q = dist::normal_from_softplus(V(Td::zeros({1, 4})), raw, 1e-3);
    const std::vector<double> s = q.scale.value().to_vector();
    CHECK(s[0] == 1e-3);  // softplus(-20) ≈ 2e-9 is below the floor
    CHECK(s[1] == doctest::Approx(std::log(2.0)).epsilon(1e-15));
    CHECK(s[2] == doctest::Approx(std::log1p(std::exp(1.0))).epsilon(1e-15));
    CHECK(s[3] == doctest::Approx(30.0 + std::log1p(std::exp(-30.0))).epsilon(1e-15));
    CHECK_THROWS_AS(dist::normal_from_softplus(V(Td::zeros({1, 4})), raw, -1.0), config_error);
    // the gradient flows into raw through softplus (away from the floor)
    auto f = [](const Vs& v) { return dist::normal_from_softplus(v[1], v[2]).log_prob(v[0]); };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({2, 3}, 31), uniform_tensor({2, 3}, 32), uniform_tensor({2, 3}, 33)}));
}

TEST_CASE("normal: from_log_var takes scale = exp(log_var / 2)") {
    const normal<double> q = dist::normal_from_log_var(V(Td::zeros({1, 3})), V(Td::from_host({1, 3}, {0.0, 2.0, -4.0})));
    check_close(q.scale.value().to_vector(), {1.0, std::exp(1.0), std::exp(-2.0)}, 1e-15);
    check_close(q.variance().value().to_vector(), {1.0, std::exp(2.0), std::exp(-4.0)}, 1e-14);
    auto f = [](const Vs& v) { return dist::normal_from_log_var(v[1], v[2]).log_prob(v[0]); };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({2, 3}, 34), uniform_tensor({2, 3}, 35), uniform_tensor({2, 3}, 36)}));
}

TEST_CASE("normal: from_params splits an encoder output into loc and raw scale") {
    const V h(Td::from_host({2, 4}, {1.0, 2.0, 0.0, 1.0, -1.0, -2.0, -20.0, 3.0}));
    const normal<double> q = dist::normal_from_params(h);
    CHECK(q.loc.shape() == latent::shape{2, 2});
    check_close(q.loc.value().to_vector(), {1.0, 2.0, -1.0, -2.0}, 1e-15);
    check_close(q.scale.value().to_vector(),
                {std::log(2.0), std::log1p(std::exp(1.0)), 1e-3, std::log1p(std::exp(3.0))}, 1e-15);
    CHECK(q.mean().value().to_vector() == q.loc.value().to_vector());
    CHECK(q.stddev().value().to_vector() == q.scale.value().to_vector());
    CHECK_THROWS_WITH_AS(dist::normal_from_params(V(Td::zeros({2, 3}))), doctest::Contains("[2, 3]"), shape_error);
    auto f = [](const Vs& v) { return dist::normal_from_params(v[1]).log_prob(v[0]); };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({3, 2}, 37), uniform_tensor({3, 4}, 38)}));
}

TEST_CASE("normal: float instances draw and score") {
    const normal<float> q{var<float>(tensor<float>::zeros({4, 2})), var<float>(tensor<float>::ones({4, 2}))};
    generator gen(5);
    const var<float> z = q.rsample(gen);
    CHECK(z.shape() == latent::shape{4, 2});
    const var<float> lp = q.log_prob(z);
    CHECK(lp.shape() == latent::shape{4});
    const std::vector<float> zv = z.value().to_vector(), lv = lp.value().to_vector();
    for (std::size_t r = 0; r < 4; ++r) {
        const double by_hand = -0.5 * (double(zv[2 * r]) * zv[2 * r] + double(zv[2 * r + 1]) * zv[2 * r + 1]) -
                               std::log(2 * M_PI);
        CHECK(lv[r] == doctest::Approx(by_hand).epsilon(1e-5));
    }
}
