#include <doctest/doctest.h>

#include <latent/dist/dist.hpp>
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
/// n copies of the row `row`, as an [n, d] tensor.
Td repeat_rows(const std::vector<double>& row, std::int64_t n) {
    std::vector<double> v;
    for (std::int64_t r = 0; r < n; ++r) v.insert(v.end(), row.begin(), row.end());
    return Td::from_host({n, static_cast<std::int64_t>(row.size())}, v);
}
struct estimate {
    double mean, standard_error;
};
estimate mean_and_se(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    const double m = s / double(v.size());
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    return {m, std::sqrt(ss / double(v.size() - 1) / double(v.size()))};
}

// Printed by tests/reference/dist.py (torch.distributions.kl_divergence, float64).
const std::vector<double> kl_normal_normal = {12.735360515657824, 8.690397177064456};
const std::vector<double> kl_normal_prior = {6.211610515657826, 9.766157217492722};
const std::vector<double> kl_normal_standard = {6.875360515657826, 7.129907217492724};

// The inputs of tests/reference/dist.py.
const normal<double> q_ref{V(Td::from_host({2, 3}, {0.5, -1.0, 2.0, 0.0, 0.25, -3.0})),
                           V(Td::from_host({2, 3}, {1.5, 0.2, 3.0, 0.7, 1.0, 0.05}))};
const normal<double> p_ref{V(Td::from_host({2, 3}, {1.0, 0.0, -1.0, 0.5, 0.5, 0.5})),
                           V(Td::from_host({2, 3}, {0.5, 2.0, 1.0, 1.0, 0.3, 4.0}))};
const normal<double> prior_ref{V(Td::from_host({1, 3}, {0.1, -0.2, 0.3})), V(Td::from_host({1, 3}, {2.0, 0.5, 1.0}))};
}  // namespace

TEST_CASE("kl: normal against normal matches torch.distributions") {
    const V k = dist::kl(q_ref, p_ref);
    CHECK(k.shape() == latent::shape{2});
    check_close(k.value().to_vector(), kl_normal_normal);
    check_close(dist::kl(q_ref, prior_ref).value().to_vector(), kl_normal_prior);
    const V s = dist::kl_standard_normal(q_ref);
    CHECK(s.shape() == latent::shape{2});
    check_close(s.value().to_vector(), kl_normal_standard);
    // the same as kl against an explicit N(0, I) of [1, d] parameters
    const normal<double> standard{V(Td::zeros({1, 3})), V(Td::ones({1, 3}))};
    check_close(dist::kl(q_ref, standard).value().to_vector(), kl_normal_standard);
    // KL(q ‖ q) = 0
    for (double v : dist::kl(q_ref, q_ref).value().to_vector()) CHECK(std::fabs(v) < 1e-15);
}

TEST_CASE("kl: mismatched shapes and sample counts are refused") {
    const normal<double> wide{V(Td::zeros({2, 4})), V(Td::ones({2, 4}))};
    CHECK_THROWS_WITH_AS(dist::kl(q_ref, wide), doctest::Contains("[2, 4]"), shape_error);
    generator gen(1);
    CHECK_THROWS_AS(dist::kl_monte_carlo(q_ref, p_ref, gen, 0), config_error);
}

TEST_CASE("kl: gradchecks of the analytic divergences with respect to all parameters") {
    auto k = [](const Vs& v) { return dist::kl(normal<double>{v[0], v[1]}, normal<double>{v[2], v[3]}); };
    check_ok(gradcheck<double, cpu>(k, {uniform_tensor({3, 4}, 1), uniform_tensor({3, 4}, 2, 0.3, 2.0),
                                        uniform_tensor({3, 4}, 3), uniform_tensor({3, 4}, 4, 0.3, 2.0)}));
    // a prior of [1, d] parameters: its gradients are summed over the batch
    check_ok(gradcheck<double, cpu>(k, {uniform_tensor({3, 4}, 5), uniform_tensor({3, 4}, 6, 0.3, 2.0),
                                        uniform_tensor({1, 4}, 7), uniform_tensor({1, 4}, 8, 0.3, 2.0)}));
    auto s = [](const Vs& v) { return dist::kl_standard_normal(normal<double>{v[0], v[1]}); };
    check_ok(gradcheck<double, cpu>(s, {uniform_tensor({3, 4}, 9), uniform_tensor({3, 4}, 10, 0.3, 2.0)}));
    auto from_log_var = [](const Vs& v) { return dist::kl_standard_normal(dist::normal_from_log_var(v[0], v[1])); };
    check_ok(gradcheck<double, cpu>(from_log_var, {uniform_tensor({3, 4}, 11), uniform_tensor({3, 4}, 12)}));
}

TEST_CASE("kl: the analytic normal divergence agrees with Monte Carlo within five standard errors") {
    // One row of q_ref and p_ref repeated n times: each row of log q(z) - log p(z) is an
    // independent one-sample estimate, so their mean and standard error follow directly.
    const std::int64_t n = 200000;
    const std::vector<std::vector<double>> qm = {{0.5, -1.0, 2.0}, {0.0, 0.25, -3.0}};
    const std::vector<std::vector<double>> qs = {{1.5, 0.2, 3.0}, {0.7, 1.0, 0.05}};
    const std::vector<std::vector<double>> pm = {{1.0, 0.0, -1.0}, {0.5, 0.5, 0.5}};
    const std::vector<std::vector<double>> ps = {{0.5, 2.0, 1.0}, {1.0, 0.3, 4.0}};
    generator gen(2718);
    for (std::size_t row = 0; row < 2; ++row) {
        INFO("row ", row);
        const normal<double> q{V(repeat_rows(qm[row], n)), V(repeat_rows(qs[row], n))};
        const normal<double> p{V(Td::from_host({1, 3}, pm[row])), V(Td::from_host({1, 3}, ps[row]))};
        const estimate mc = mean_and_se(dist::kl_monte_carlo(q, p, gen).value().to_vector());
        CHECK(mc.standard_error < 0.05 * kl_normal_normal[row]);  // the comparison below has teeth
        CHECK(std::fabs(mc.mean - kl_normal_normal[row]) < 5 * mc.standard_error);
    }
}

TEST_CASE("kl: Monte Carlo of a Laplace posterior against a normal prior matches its closed form") {
    // KL(Laplace(μ, b) ‖ N(m, s²)) = -(1 + log 2b) + ½ log 2πs² + (2b² + (μ - m)²) / (2s²), per dim:
    // -H(q) - E_q log p, with E_q (z - m)² = 2b² + (μ - m)².
    const double mu = 0.75, b = 0.4, m = -0.25, s = 1.5;
    const double closed = -(1 + std::log(2 * b)) + 0.5 * std::log(2 * M_PI * s * s) +
                          (2 * b * b + (mu - m) * (mu - m)) / (2 * s * s);
    const dist::laplace<double> q{V(Td::full({4, 1}, mu)), V(Td::full({4, 1}, b))};
    const normal<double> p{V(Td::full({1, 1}, m)), V(Td::full({1, 1}, s))};
    generator gen(11);
    const int samples = 50000;
    const std::vector<double> k = dist::kl_monte_carlo(q, p, gen, samples).value().to_vector();
    REQUIRE(k.size() == 4);
    CHECK(gen.offset() == std::uint64_t(4 * samples));
    // standard error of one row's mean, from the spread of one-sample estimates
    const dist::laplace<double> many{V(Td::full({samples, 1}, mu)), V(Td::full({samples, 1}, b))};
    const estimate spread = mean_and_se(dist::kl_monte_carlo(many, p, gen).value().to_vector());
    CHECK(std::fabs(spread.mean - closed) < 5 * spread.standard_error);
    for (double v : k) CHECK(std::fabs(v - closed) < 5 * spread.standard_error);
}

TEST_CASE("kl: gradcheck of the Monte Carlo estimate with its draws held fixed") {
    const generator start(5, 2);
    auto f = [&](const Vs& v) {
        generator gen = start;
        return dist::kl_monte_carlo(normal<double>{v[0], v[1]}, normal<double>{v[2], v[3]}, gen, 3);
    };
    check_ok(gradcheck<double, cpu>(f, {uniform_tensor({2, 3}, 21), uniform_tensor({2, 3}, 22, 0.3, 2.0),
                                        uniform_tensor({1, 3}, 23), uniform_tensor({1, 3}, 24, 0.3, 2.0)}));
}
