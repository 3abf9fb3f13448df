#include <doctest/doctest.h>

#include <latent/dist/laplace.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>
#include <vector>

using namespace latent;
using dist::laplace;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {

// Printed by tests/reference/dist.py (torch.distributions, float64).
const std::vector<double> laplace_log_prob_elements = {-1.431945622001443, -1.583709268125845, -3.1250928025613884, -0.7650436651926416, -0.6931471805599453, 0.3025850929940437};
const std::vector<double> laplace_log_prob = {-6.140747692688676, -1.155605752758543};
const std::vector<double> laplace_entropy = {4.974081026022009, 1.727034324187113};

// The inputs of tests/reference/dist.py.
const Td loc_ref = Td::from_host({2, 3}, {0.5, -1.0, 2.0, 0.0, 0.25, -3.0});
const Td scale_ref = Td::from_host({2, 3}, {1.5, 0.2, 3.0, 0.7, 1.0, 0.05});
const Td x_ref = Td::from_host({2, 3}, {1.0, -0.5, -2.0, 0.3, 0.25, -2.9});
}  // namespace

TEST_CASE("laplace: log_prob and entropy against torch.distributions") {
    const laplace<double> q{V(loc_ref), V(scale_ref)};
    check_close(q.log_prob_elements(V(x_ref)).value().to_vector(), laplace_log_prob_elements);
    const V lp = q.log_prob(V(x_ref));
    CHECK(lp.shape() == latent::shape{2});
    check_close(lp.value().to_vector(), laplace_log_prob);
    const V h = q.entropy();
    CHECK(h.shape() == latent::shape{2});
    check_close(h.value().to_vector(), laplace_entropy);
    check_close(q.variance().value().to_vector(), {4.5, 0.08, 18.0, 0.98, 2.0, 0.005}, 1e-14);
}

TEST_CASE("laplace: Laplace(recon, 1) as a likelihood broadcasts a [1, 1] scale") {
    // MODELS.md §5: the CCVAE image likelihood has unit scale; log p = -Σ|x - r| - d log 2.
    const laplace<double> lik{V(loc_ref), V(Td::ones({1, 1}))};
    const std::vector<double> lp = lik.log_prob(V(x_ref)).value().to_vector();
    const std::vector<double> m = loc_ref.to_vector(), x = x_ref.to_vector();
    for (std::size_t r = 0; r < 2; ++r) {
        double by_hand = -3 * std::log(2.0);
        for (std::size_t c = 0; c < 3; ++c) by_hand -= std::fabs(x[r * 3 + c] - m[r * 3 + c]);
        CHECK(lp[r] == doctest::Approx(by_hand).epsilon(1e-14));
    }
}

TEST_CASE("laplace: gradchecks of log_prob, entropy and rsample") {
    // x and loc drawn apart so that no |x - loc| sits at the kink
    auto lp = [](const Vs& v) { return laplace<double>{v[1], v[2]}.log_prob(v[0]); };
    check_ok(gradcheck<double, cpu>(lp, {uniform_tensor({3, 4}, 1, 0.5, 1.5), uniform_tensor({3, 4}, 2, -1.5, -0.5),
                                         uniform_tensor({3, 4}, 3, 0.3, 2.0)}));
    check_ok(gradcheck<double, cpu>(lp, {uniform_tensor({3, 4}, 4, -1.5, -0.5), uniform_tensor({1, 4}, 5, 0.5, 1.5),
                                         uniform_tensor({1, 4}, 6, 0.3, 2.0)}));
    auto h = [](const Vs& v) { return laplace<double>{V(Td::zeros({3, 4})), v[0]}.entropy(); };
    check_ok(gradcheck<double, cpu>(h, {uniform_tensor({3, 4}, 7, 0.3, 2.0)}));
    const generator start(9, 1);
    auto rs = [&](const Vs& v) {
        generator gen = start;  // the same ε at every evaluation
        return laplace<double>{v[0], v[1]}.rsample(gen);
    };
    check_ok(gradcheck<double, cpu>(rs, {uniform_tensor({3, 4}, 8), uniform_tensor({3, 4}, 9, 0.3, 2.0)}));
}

TEST_CASE("laplace: rsample statistics match loc and scale") {
    // Laplace(μ, b): mean μ, variance 2b², E|z - μ| = b, P(|z - μ| > t·b) = e^{-t}, symmetric.
    const std::int64_t n = 200000;
    const double mu = 1.25, b = 0.5;
    const laplace<double> q{V(Td::full({n, 1}, mu)), V(Td::full({n, 1}, b))};
    generator gen(77);
    const std::vector<double> z = q.rsample(gen).value().to_vector();
    double s = 0, ss = 0, abs_dev = 0;
    std::size_t beyond1 = 0, beyond3 = 0, above = 0;
    std::size_t non_finite = 0;
    for (double v : z) {
        non_finite += !std::isfinite(v);
        s += v;
        const double d = v - mu;
        ss += d * d;
        abs_dev += std::fabs(d);
        beyond1 += std::fabs(d) > b;
        beyond3 += std::fabs(d) > 3 * b;
        above += d > 0;
    }
    CHECK(non_finite == 0);
    const double N = double(n);
    const double var = 2 * b * b;
    CHECK(std::fabs(s / N - mu) < 5 * std::sqrt(var / N));
    // Var of d² is E d⁴ - (E d²)² = 24b⁴ - 4b⁴ = 20b⁴.
    CHECK(std::fabs(ss / N - var) < 5 * std::sqrt(20 * b * b * b * b / N));
    // Var |d| = 2b² - b² = b².
    CHECK(std::fabs(abs_dev / N - b) < 5 * b / std::sqrt(N));
    auto check_fraction = [&](std::size_t count, double p) {
        CHECK(std::fabs(double(count) / N - p) < 5 * std::sqrt(p * (1 - p) / N));
    };
    check_fraction(beyond1, std::exp(-1.0));
    check_fraction(beyond3, std::exp(-3.0));
    check_fraction(above, 0.5);
}

TEST_CASE("laplace: standard draws are finite, symmetric and equal in float and double") {
    const std::int64_t n = 1 << 20;
    tensor<double> d({n});
    tensor<float> f({n});
    generator g1(3), g2(3);
    dist::standard_laplace_(d, g1);
    dist::standard_laplace_(f, g2);
    CHECK(g1.offset() == std::uint64_t(n));
    const std::vector<double> dv = d.to_vector();
    const std::vector<float> fv = f.to_vector();
    double most = 0;
    std::size_t bad = 0, float_differs = 0;
    for (std::size_t i = 0; i < dv.size(); ++i) {
        bad += !std::isfinite(dv[i]) || dv[i] == 0.0;
        float_differs += fv[i] != static_cast<float>(dv[i]);
        most = std::max(most, std::fabs(dv[i]));
    }
    CHECK(bad == 0);
    CHECK(float_differs == 0);
    CHECK(most <= 52 * std::log(2.0) + 1e-12);  // the bound the kernel's comment promises
    // sample draws what rsample draws
    generator a(5), b(5);
    const laplace<double> q{V(loc_ref), V(scale_ref)};
    CHECK(q.sample(a).to_vector() == q.rsample(b).value().to_vector());
}
