// β-TCVAE (MODELS.md §8): the minibatch estimators of log q(z) and log q(z_d) against brute force
// on tiny datasets, the decomposition against plain loops, its gradient, and the model's pieces
// on a tiny fixed network.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

#include "latent/models/tcvae.hpp"
#include "latent/testing/gradcheck.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;

namespace {

double log_normal(double x, double mu, double s) {
    const double u = (x - mu) / s;
    return -0.5 * u * u - std::log(s) - 0.5 * std::log(2 * std::numbers::pi);
}

/// A tiny "dataset" of posteriors q(z | x_n) = N(mu[n], diag s[n]²), n < N, in D dims.
struct posteriors {
    std::int64_t n, d;
    vec mu, s;
    double density(const vec& z, std::int64_t example) const {  // q(z | x_example)
        double l = 0;
        for (std::int64_t k = 0; k < d; ++k) l += log_normal(z[k], mu[example * d + k], s[example * d + k]);
        return std::exp(l);
    }
    double marginal(double zk, std::int64_t k, std::int64_t example) const {  // q(z_k | x_example)
        return std::exp(log_normal(zk, mu[example * d + k], s[example * d + k]));
    }
};

posteriors tiny_dataset(std::int64_t n, std::int64_t d) {
    posteriors p{n, d, {}, {}};
    for (std::int64_t i = 0; i < n * d; ++i) {
        p.mu.push_back(0.7 * std::sin(1.3 * double(i) + 0.4));
        p.s.push_back(0.4 + 0.3 * std::abs(std::cos(0.9 * double(i))));
    }
    return p;
}

/// decompose_kl on the batch `rows` of dataset `p`, at samples z [M·D].
kl_decomposition<double, cpu> decompose(const posteriors& p, const std::vector<std::int64_t>& rows, const vec& z,
                                        const std::vector<double>& log_w) {
    const auto m = static_cast<std::int64_t>(rows.size());
    vec mu, s;
    for (auto r : rows)
        for (std::int64_t k = 0; k < p.d; ++k) {
            mu.push_back(p.mu[r * p.d + k]);
            s.push_back(p.s[r * p.d + k]);
        }
    using V = var<double, cpu>;
    using Tn = tensor<double, cpu>;
    const dist::normal<double, cpu> q{V(Tn::from_host({m, p.d}, mu)), V(Tn::from_host({m, p.d}, s))};
    return decompose_kl(V(Tn::from_host({m, p.d}, z)), q, Tn::from_host({m, m}, log_w));
}

/// Every ordered choice of `count` distinct elements of `pool`.
void ordered_choices(const std::vector<std::int64_t>& pool, std::size_t count, std::vector<std::int64_t>& prefix,
                     std::vector<std::vector<std::int64_t>>& out) {
    if (prefix.size() == count) {
        out.push_back(prefix);
        return;
    }
    for (auto v : pool)
        if (std::find(prefix.begin(), prefix.end(), v) == prefix.end()) {
            prefix.push_back(v);
            ordered_choices(pool, count, prefix, out);
            prefix.pop_back();
        }
}

}  // namespace

TEST_CASE("tcvae: minibatch-weighted sampling is log((1/(N·M)) Σ_j q(z_i | x_j)), jointly and per dimension") {
    const posteriors p = tiny_dataset(6, 3);
    const std::vector<std::int64_t> rows{4, 1, 3, 0};
    const std::int64_t m = 4, n = 6;
    vec z;
    for (std::int64_t i = 0; i < m * p.d; ++i) z.push_back(0.5 * std::cos(2.1 * double(i)));
    const auto parts = decompose(p, rows, z, minibatch_weighted::log_weights(m, n));
    const vec log_qz = parts.log_qz.value().to_vector(), log_prod = parts.log_qz_product.value().to_vector();
    const vec mi = parts.mutual_information.value().to_vector(), tc = parts.total_correlation.value().to_vector(),
              dw = parts.dimension_wise_kl.value().to_vector();
    for (std::int64_t i = 0; i < m; ++i) {
        const vec zi(z.begin() + i * p.d, z.begin() + (i + 1) * p.d);
        double joint = 0, product = 0, log_pz = 0;
        for (auto r : rows) joint += p.density(zi, r);
        for (std::int64_t k = 0; k < p.d; ++k) {
            double mk = 0;
            for (auto r : rows) mk += p.marginal(zi[k], k, r);
            product += std::log(mk / double(n * m));
            log_pz += log_normal(zi[k], 0, 1);
        }
        const double expected_qz = std::log(joint / double(n * m));
        const double log_qzx = std::log(p.density(zi, rows[i]));
        CHECK(log_qz[i] == doctest::Approx(expected_qz).epsilon(1e-12));
        CHECK(log_prod[i] == doctest::Approx(product).epsilon(1e-12));
        CHECK(mi[i] == doctest::Approx(log_qzx - expected_qz).epsilon(1e-12));
        CHECK(tc[i] == doctest::Approx(expected_qz - product).epsilon(1e-12));
        CHECK(dw[i] == doctest::Approx(product - log_pz).epsilon(1e-12));
    }
}

TEST_CASE("tcvae: minibatch-stratified sampling is unbiased for q(z) and q(z_d): the mean over every batch is exact") {
    // z is drawn from example a; the batch holds a at position 0 and an ordered choice of M − 1
    // others (every position is alike, since MSS's odd weight goes to the next position).
    const std::int64_t n = 5, m = 3;
    const posteriors p = tiny_dataset(n, 2);
    const auto log_w = minibatch_stratified::log_weights(m, n);
    for (std::int64_t a = 0; a < n; ++a) {
        const vec z{0.3 - 0.2 * double(a), -0.4 + 0.25 * double(a)};
        double exact = 0;
        vec exact_marginal(2, 0.0);
        for (std::int64_t e = 0; e < n; ++e) {
            exact += p.density(z, e) / double(n);
            for (std::int64_t k = 0; k < 2; ++k) exact_marginal[k] += p.marginal(z[k], k, e) / double(n);
        }
        std::vector<std::int64_t> others, prefix;
        for (std::int64_t e = 0; e < n; ++e)
            if (e != a) others.push_back(e);
        std::vector<std::vector<std::int64_t>> choices;
        ordered_choices(others, static_cast<std::size_t>(m - 1), prefix, choices);
        double mean_estimate = 0;
        for (const auto& c : choices) {
            std::vector<std::int64_t> rows{a};
            rows.insert(rows.end(), c.begin(), c.end());
            vec zs;
            for (std::int64_t i = 0; i < m; ++i) zs.insert(zs.end(), z.begin(), z.end());
            const auto parts = decompose(p, rows, zs, log_w);
            mean_estimate += std::exp(parts.log_qz.value().to_vector()[0]) / double(choices.size());
        }
        CHECK(mean_estimate == doctest::Approx(exact).epsilon(1e-12));
        // q̂(z_d) one dimension at a time (the product of estimates is not itself unbiased): a 1-D
        // dataset of that dimension's posteriors, whose joint estimate is the marginal one.
        for (std::int64_t k = 0; k < 2; ++k) {
            posteriors one{n, 1, {}, {}};
            for (std::int64_t e = 0; e < n; ++e) {
                one.mu.push_back(p.mu[e * 2 + k]);
                one.s.push_back(p.s[e * 2 + k]);
            }
            double mean_k = 0;
            for (const auto& c : choices) {
                std::vector<std::int64_t> rows{a};
                rows.insert(rows.end(), c.begin(), c.end());
                const auto parts = decompose(one, rows, vec(static_cast<std::size_t>(m), z[k]), log_w);
                mean_k += std::exp(parts.log_qz_product.value().to_vector()[0]) / double(choices.size());
            }
            CHECK(mean_k == doctest::Approx(exact_marginal[k]).epsilon(1e-12));
        }
    }
}

TEST_CASE("tcvae: the stratified weights sum to one per row, and the weighted ones are 1/N") {
    for (std::int64_t m : {2, 3, 7}) {
        const auto w = minibatch_stratified::log_weights(m, 50);
        for (std::int64_t i = 0; i < m; ++i) {
            double total = 0;
            for (std::int64_t j = 0; j < m; ++j) total += std::exp(w[i * m + j]);
            CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
            CHECK(std::exp(w[i * m + i]) == doctest::Approx(1.0 / 50).epsilon(1e-12));
        }
        const auto u = minibatch_weighted::log_weights(m, 50);
        double total = 0;
        for (std::int64_t j = 0; j < m; ++j) total += std::exp(u[j]);
        CHECK(total == doctest::Approx(1.0 / 50).epsilon(1e-12));
    }
}

TEST_CASE("tcvae: the decomposition's gradients for samples, means and scales match finite differences") {
    const std::int64_t m = 3, d = 2;
    const auto log_w = tensor<double, cpu>::from_host({m, m}, minibatch_stratified::log_weights(m, 10));
    const auto f = [&](const std::vector<var<double, cpu>>& in) {
        const dist::normal<double, cpu> q{in[1], exp(in[2])};
        const auto parts = decompose_kl(in[0], q, log_w);
        return parts.mutual_information * 0.7 + parts.total_correlation * 1.9 + parts.dimension_wise_kl * 0.4;
    };
    const std::vector<tensor<double, cpu>> inputs{
        tensor<double, cpu>::from_host({m, d}, {0.2, -0.5, 0.9, 0.1, -0.3, 0.6}),
        tensor<double, cpu>::from_host({m, d}, {0.1, -0.2, 0.5, 0.3, -0.6, 0.4}),
        tensor<double, cpu>::from_host({m, d}, {-0.3, 0.2, 0.1, -0.5, 0.0, 0.25})};
    const auto r = testing::gradcheck(f, inputs);
    CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("tcvae: the model's pieces on a tiny fixed network, and with α = β = γ = 1 their sum is the one-sample KL") {
    const data::example_layout points{{2}, 1, 2, {"unused"}};
    const std::int64_t n = 8;
    auto model = beta_tcvae<gaussian_likelihood, minibatch_stratified>::build(
        cpu{}, points, linear_networks(),
        model_options{}.size("z", 2).weight("tc.mi", 0.5).weight("tc.tc", 4).weight("tc.dwkl", 2).set(
            "tc.dataset_size", double(n)),
        7);
    const auto w = fix_weights(model);
    const vec xs{0.5, -1.0, 2.0, 0.25, -0.7, 1.1};
    // The model's one draw of ε for z, [3, 2] row-major, redrawn from a copy of its generator.
    generator copy = model.rng();
    auto eps = tensor<double, cpu>::zeros({3, 2});
    normal_(eps, copy);
    const vec flat = eps.to_vector();
    const auto l = model.losses(tensor<double, cpu>::from_host({3, 2}, xs),
                                tensor<std::int32_t, cpu>::from_host({3, 1}, {0, 1, 0}));

    const auto log_w = minibatch_stratified::log_weights(3, n);
    vec mu(6), s(6), z(6);
    double recon = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const vec q = affine(w.at("head.z.weight"), w.at("head.z.bias"), {xs[2 * i], xs[2 * i + 1]});
        for (std::size_t k = 0; k < 2; ++k) {
            mu[2 * i + k] = q[k];
            s[2 * i + k] = scale_of(q[2 + k]);
            z[2 * i + k] = mu[2 * i + k] + s[2 * i + k] * flat[2 * i + k];
        }
        const vec out = affine(w.at("decoder.weight"), w.at("decoder.bias"), {z[2 * i], z[2 * i + 1]});
        for (std::size_t k = 0; k < 2; ++k)
            recon += 0.5 * (xs[2 * i + k] - out[k]) * (xs[2 * i + k] - out[k]) + 0.5 * std::log(2 * std::numbers::pi);
    }
    double mi = 0, tc = 0, dw = 0, one_sample_kl = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        double joint = 0, product = 0, log_qzx = 0, log_pz = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            double l = 0;
            for (std::size_t k = 0; k < 2; ++k) l += log_normal(z[2 * i + k], mu[2 * j + k], s[2 * j + k]);
            joint += std::exp(log_w[i * 3 + j] + l);
        }
        for (std::size_t k = 0; k < 2; ++k) {
            double mk = 0;
            for (std::size_t j = 0; j < 3; ++j)
                mk += std::exp(log_w[i * 3 + j] + log_normal(z[2 * i + k], mu[2 * j + k], s[2 * j + k]));
            product += std::log(mk);
            log_qzx += log_normal(z[2 * i + k], mu[2 * i + k], s[2 * i + k]);
            log_pz += log_normal(z[2 * i + k], 0, 1);
        }
        mi += log_qzx - std::log(joint);
        tc += std::log(joint) - product;
        dw += product - log_pz;
        one_sample_kl += log_qzx - log_pz;
    }
    CHECK(term(l, "recon") == doctest::Approx(recon / 3).epsilon(1e-12));
    CHECK(term(l, "tc.mi") == doctest::Approx(0.5 * mi / 3).epsilon(1e-12));
    CHECK(term(l, "tc.tc") == doctest::Approx(4 * tc / 3).epsilon(1e-12));
    CHECK(term(l, "tc.dwkl") == doctest::Approx(2 * dw / 3).epsilon(1e-12));
    CHECK(l.main.item() == doctest::Approx((recon + 0.5 * mi + 4 * tc + 2 * dw) / 3).epsilon(1e-12));
    CHECK((mi + tc + dw) == doctest::Approx(one_sample_kl).epsilon(1e-12));
    CHECK(l.others.empty());
}

TEST_CASE("tcvae: every parameter's gradient of the loss matches finite differences") {
    const data::example_layout points{{2}, 1, 2, {"unused"}};
    auto model = beta_tcvae<gaussian_likelihood>::build(
        cpu{}, points, linear_networks(), model_options{}.size("z", 2).weight("tc.tc", 3).set("tc.dataset_size", 20), 5);
    fix_weights(model);
    const auto x = tensor<double, cpu>::from_host({3, 2}, {0.5, -1.0, 2.0, 0.25, -0.7, 1.1});
    const auto y = tensor<std::int32_t, cpu>::from_host({3, 1}, {0, 1, 0});
    const generator start = model.rng();
    const auto largest = check_gradient(model, [&] {
        model.rng() = start;
        return model.losses(x, y);
    });
    CHECK(largest.at("head.z.weight") > 1e-3);
}

TEST_CASE("tcvae: a missing dataset size, a batch larger than it, and a one-example stratified batch are refused") {
    const data::example_layout points{{2}, 1, 2, {"unused"}};
    CHECK_THROWS_AS(beta_tcvae<gaussian_likelihood>::build(cpu{}, points, linear_networks(), model_options{}.size("z", 2)),
                    config_error);
    auto small = beta_tcvae<gaussian_likelihood>::build(cpu{}, points, linear_networks(),
                                                        model_options{}.size("z", 2).set("tc.dataset_size", 2));
    const auto x = tensor<double, cpu>::from_host({3, 2}, {0.5, -1.0, 2.0, 0.25, -0.7, 1.1});
    CHECK_THROWS_AS(small.losses(x, tensor<std::int32_t, cpu>::from_host({3, 1}, {0, 1, 0})), config_error);
    auto stratified = beta_tcvae<gaussian_likelihood, minibatch_stratified>::build(
        cpu{}, points, linear_networks(), model_options{}.size("z", 2).set("tc.dataset_size", 10));
    CHECK_THROWS_AS(stratified.losses(tensor<double, cpu>::from_host({1, 2}, {0.5, -1.0}),
                                      tensor<std::int32_t, cpu>::from_host({1, 1}, {0})),
                    config_error);
}
