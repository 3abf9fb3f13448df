// CCVAE's bounds (MODELS.md §5) against a hand computation on tiny fixed networks: the supervised
// bound with its importance weight and K-sample q(y|x), the unsupervised bound summed over the
// classes, a mixed batch; the stop-gradient in the weight checked by finite differences of the
// hand computation; exact and sampled unsupervised bounds agreeing in expectation; and the
// q(y|x) estimator against quadrature.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "latent/models/ccvae.hpp"
#include "latent/models/diva.hpp"
#include "latent/models/networks.hpp"
#include "latent/models/vae.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;

namespace {

constexpr std::int64_t n = 2, classes = 3, dc = 2, draws = 3;
const vec xs{0.2, 0.9, 1.0, 0.0};
using params = std::map<std::string, vec>;

/// The toy CCVAE: x ∈ R², z_c of 2 dims, z of 1, three classes, K draws for q(y|x).
auto make_model(std::int64_t samples = draws, bool sampled_unsupervised = false) {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    return ccvae_categorical<>::build(cpu{}, flat, linear_networks(),
                                      model_options{}
                                          .size("c", dc)
                                          .size("z", 1)
                                          .set("ccvae.samples", double(samples))
                                          .set("ccvae.sampled_unsupervised", sampled_unsupervised ? 1 : 0),
                                      3);
}

double log_normal(double v, double loc, double scale) {
    const double t = (v - loc) / scale;
    return -0.5 * t * t - std::log(scale) - 0.5 * std::log(2 * M_PI);
}
double log_sum_exp(const vec& a) {
    const double top = *std::max_element(a.begin(), a.end());
    double s = 0;
    for (double v : a) s += std::exp(v - top);
    return top + std::log(s);
}

/// The noise the model draws, in its order: z_c [n, dc], z [n, 1], then the K draws [n·K, dc].
struct noise {
    vec zc, z, k;
};
noise noise_of(generator g) {
    auto take = [&](std::int64_t count) {
        auto t = tensor<double, cpu>::zeros({count});
        normal_(t, g);
        return t.to_vector();
    };
    noise out;
    out.zc = take(n * dc);
    out.z = take(n);
    out.k = take(n * draws * dc);
    return out;
}

/// Everything of one example that both bounds use.
struct example {
    vec loc, scale, zc;  // q(z_c | x) and its sample
    double common;       // −recon − KL(q(z | x) ‖ N(0, 1)) − log q(z_c | x)
};
example encode(const params& w, std::size_t i, const noise& e) {
    const vec x{xs[2 * i], xs[2 * i + 1]};
    const vec hc = affine(w.at("head.c.weight"), w.at("head.c.bias"), x);
    const vec hz = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);
    example ex;
    for (std::size_t d = 0; d < dc; ++d) {
        ex.loc.push_back(hc[d]);
        ex.scale.push_back(scale_of(hc[dc + d]));
        ex.zc.push_back(ex.loc[d] + ex.scale[d] * e.zc[i * dc + d]);
    }
    const double z = hz[0] + scale_of(hz[1]) * e.z[i];
    const vec logits = affine(w.at("decoder.weight"), w.at("decoder.bias"), {ex.zc[0], ex.zc[1], z});
    double recon = 0, log_q = 0;
    for (std::size_t j = 0; j < 2; ++j) recon += softplus(logits[j]) - logits[j] * x[j];
    for (std::size_t d = 0; d < dc; ++d) log_q += log_normal(ex.zc[d], ex.loc[d], ex.scale[d]);
    ex.common = -recon - kl_normal(hz[0], scale_of(hz[1]), 0, 1) - log_q;
    return ex;
}
/// log q(y = c | z_c): the classifier is z_c·W + b with W [dc, K].
double log_q_class(const params& w, const vec& zc, std::size_t c) {
    vec l(classes);
    for (std::size_t k = 0; k < classes; ++k) {
        l[k] = w.at("classifier.bias")[k];
        for (std::size_t d = 0; d < dc; ++d) l[k] += zc[d] * w.at("classifier.weight")[d * classes + k];
    }
    return l[c] - log_sum_exp(l);
}
/// log p(z_c | y = c) under the learned per-class Normal.
double log_p_zc(const params& w, const vec& zc, std::size_t c) {
    double s = 0;
    for (std::size_t d = 0; d < dc; ++d)
        s += log_normal(zc[d], w.at("prior.c.loc")[c * dc + d], scale_of(w.at("prior.c.raw_scale")[c * dc + d]));
    return s;
}

/// −L_sup of example i with label c. `frozen` (if given) is z̄_c in the weight's numerator: the
/// value of z_c at the base parameters, which the encoder cannot move.
double sup_loss(const params& w, std::size_t i, std::size_t c, const noise& e, const vec* frozen = nullptr) {
    const example ex = encode(w, i, e);
    vec ll;
    for (std::size_t k = 0; k < draws; ++k) {
        vec z(dc);
        for (std::size_t d = 0; d < dc; ++d) z[d] = ex.loc[d] + ex.scale[d] * e.k[(i * draws + k) * dc + d];
        ll.push_back(log_q_class(w, z, c));
    }
    const double log_q_y_x = log_sum_exp(ll) - std::log(double(draws));
    const double numerator = log_q_class(w, frozen ? *frozen : ex.zc, c);
    const double weight = std::exp(numerator - log_q_y_x);
    const double inner = ex.common + log_p_zc(w, ex.zc, c) - log_q_class(w, ex.zc, c);
    return -(weight * inner + log_q_y_x - std::log(double(classes)));
}
/// −L_unsup of example i, the classes summed out.
double unsup_loss(const params& w, std::size_t i, const noise& e) {
    const example ex = encode(w, i, e);
    double s = 0;
    for (std::size_t c = 0; c < classes; ++c) {
        const double lq = log_q_class(w, ex.zc, c);
        s += std::exp(lq) * (log_p_zc(w, ex.zc, c) - std::log(double(classes)) - lq);
    }
    return -(ex.common + s);
}

tensor<double, cpu> inputs() { return tensor<double, cpu>::from_host({n, 2}, xs); }

}  // namespace

TEST_CASE("ccvae: the supervised bound, importance weight and K-sample q(y|x) included, by hand") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const auto l = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {0, 2}));
    CHECK(term(l, "ccvae.sup") == doctest::Approx((sup_loss(w, 0, 0, e) + sup_loss(w, 1, 2, e)) / n).epsilon(1e-12));
    CHECK(term(l, "ccvae.unsup") == 0.0);
    CHECK(m.groups() == std::vector<std::string>{"model"});  // prior and classifier train with the networks
}

TEST_CASE("ccvae: the unsupervised bound sums over the classes, and a mixed batch splits by the mask") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const std::uint64_t offset = m.rng().offset();
    const auto hidden = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {-1, -1}),
                                 tensor<double, cpu>::from_host({n}, {0, 0}));
    CHECK(term(hidden, "ccvae.sup") == 0.0);
    CHECK(term(hidden, "ccvae.unsup") == doctest::Approx((unsup_loss(w, 0, e) + unsup_loss(w, 1, e)) / n).epsilon(1e-12));

    m.rng().set_offset(offset);
    const auto mixed = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {1, -1}),
                                tensor<double, cpu>::from_host({n}, {1, 0}));
    CHECK(term(mixed, "ccvae.sup") == doctest::Approx(sup_loss(w, 0, 1, e) / n).epsilon(1e-12));
    CHECK(term(mixed, "ccvae.unsup") == doctest::Approx(unsup_loss(w, 1, e) / n).epsilon(1e-12));
}

TEST_CASE("ccvae: the encoder gets no gradient through the weight's numerator, the classifier does") {
    auto m = make_model();
    params w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const std::vector<std::size_t> label{0, 2};
    const auto l = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {0, 2}));
    for (auto* p : m.parameters()) p->zero_grad();
    backward(l.main);

    const vec frozen0 = encode(w, 0, e).zc, frozen1 = encode(w, 1, e).zc;
    auto loss = [&](const params& at, bool stop) {
        return (sup_loss(at, 0, label[0], e, stop ? &frozen0 : nullptr) +
                sup_loss(at, 1, label[1], e, stop ? &frozen1 : nullptr)) / n;
    };
    const double h = 1e-6;
    bool numerator_matters = false;
    for (auto* p : m.parameters()) {
        const vec g = p->grad().to_vector();
        for (std::size_t k = 0; k < g.size(); ++k) {
            params up = w, down = w;
            up[p->name()][k] += h;
            down[p->name()][k] -= h;
            const double with_stop = (loss(up, true) - loss(down, true)) / (2 * h);
            const double without = (loss(up, false) - loss(down, false)) / (2 * h);
            INFO(p->name() << "[" << k << "]");
            CHECK(g[k] == doctest::Approx(with_stop).epsilon(1e-6).scale(1));
            if (p->name().rfind("head.c.", 0) == 0 && std::abs(without - with_stop) > 1e-4) numerator_matters = true;
        }
    }
    CHECK(numerator_matters);  // without the stop-gradient the encoder's gradient would differ
}

TEST_CASE("ccvae: the exact and the sampled unsupervised bounds agree in expectation") {
    auto exact = make_model();
    auto sampled = make_model(draws, true);
    fix_weights(exact);
    fix_weights(sampled);
    const auto y = tensor<std::int32_t, cpu>::from_host({n, 1}, {-1, -1});
    const auto mask = tensor<double, cpu>::from_host({n}, {0, 0});
    // Same offset for both: the same z_c; the sampled bound then draws ŷ, so each pair differs by
    // the label draw alone, whose mean must vanish.
    const int runs = 4000;
    double sum = 0, sum_sq = 0;
    for (int r = 0; r < runs; ++r) {
        exact.rng().set_offset(1000u * static_cast<std::uint64_t>(r));
        sampled.rng().set_offset(1000u * static_cast<std::uint64_t>(r));
        const double d = term(sampled.losses(inputs(), y, mask), "ccvae.unsup") - term(exact.losses(inputs(), y, mask), "ccvae.unsup");
        sum += d;
        sum_sq += d * d;
    }
    const double mean = sum / runs, sd = std::sqrt(sum_sq / runs - mean * mean);
    CHECK(sd > 0);  // the draws do vary
    CHECK(std::abs(mean) < 4 * sd / std::sqrt(double(runs)));
}

TEST_CASE("ccvae: the K-sample estimate of log q(y|x) matches quadrature") {
    auto m = make_model(20000);
    const auto w = fix_weights(m);
    const vec loc{0.3, -0.2}, scale{0.8, 0.5};
    const dist::normal<double, cpu> q{var<double, cpu>(tensor<double, cpu>::from_host({1, dc}, loc)),
                                      var<double, cpu>(tensor<double, cpu>::from_host({1, dc}, scale))};
    for (std::size_t c = 0; c < classes; ++c) {
        std::vector<double> onehot(classes, 0.0);
        onehot[c] = 1;
        generator g(5);
        const double estimate = m.objective_impl()
                                    .log_q_y_given_x(q, var<double, cpu>(tensor<double, cpu>::from_host({1, classes}, onehot)), g)
                                    .item();
        // ∫ q(c | z) N(z; loc, scale²) dz on a 400 × 400 grid over ±8 scales.
        const int steps = 400;
        double integral = 0;
        const double h0 = 16 * scale[0] / steps, h1 = 16 * scale[1] / steps;
        for (int a = 0; a < steps; ++a)
            for (int b = 0; b < steps; ++b) {
                const vec z{loc[0] - 8 * scale[0] + (a + 0.5) * h0, loc[1] - 8 * scale[1] + (b + 0.5) * h1};
                integral += std::exp(log_q_class(w, z, c) + log_normal(z[0], loc[0], scale[0]) +
                                     log_normal(z[1], loc[1], scale[1])) * h0 * h1;
            }
        CAPTURE(c);
        CHECK(estimate == doctest::Approx(std::log(integral)).epsilon(0.01));
    }
}

TEST_CASE("ccvae: a model whose objective needs every label refuses hidden ones, and bad masks are named") {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    auto plain = vae<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1), 1);
    CHECK_THROWS_WITH_AS(plain.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {0, -1}),
                                      tensor<double, cpu>::from_host({n}, {1, 0})),
                         doctest::Contains("1 of 2 labels in this batch are hidden"), config_error);
    auto m = make_model();
    CHECK_THROWS_WITH_AS(m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {0, 1}),
                                  tensor<double, cpu>::from_host({3}, {1, 1, 1})),
                         doctest::Contains("supervision mask"), shape_error);
    CHECK_THROWS_WITH_AS(make_model(0), doctest::Contains("ccvae.samples"),
                         config_error);
}

namespace {
// The binary-label CCVAE: two labels, one characteristic dimension each (label_blocks<"c", 1>),
// the same encoder and decoder shapes as above.
auto make_binary() {
    const data::example_layout flat{{2}, 2, 0, {"a", "b"}};
    return ccvae<bernoulli_likelihood>::build(cpu{}, flat, linear_networks(),
                                              model_options{}.size("z", 1).set("ccvae.samples", double(draws)), 3);
}
/// log q(y | z_c) = Σ_i log Bern(y_i | σ(a_i·z_c,i + b_i)): the diagonal classifier.
double log_q_binary(const params& w, const vec& zc, const vec& y) {
    double s = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const double l = w.at("classifier.weight")[i] * zc[i] + w.at("classifier.bias")[i];
        s += y[i] * -softplus(-l) + (1 - y[i]) * -softplus(l);
    }
    return s;
}
/// log p(z_c | y) under the learned per-label-value prior.
double log_p_binary(const params& w, const vec& zc, const vec& y) {
    double s = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const bool on = y[i] != 0;
        s += log_normal(zc[i], w.at(on ? "prior.c.loc_on" : "prior.c.loc_off")[i],
                        scale_of(w.at(on ? "prior.c.raw_scale_on" : "prior.c.raw_scale_off")[i]));
    }
    return s;
}
double sup_binary(const params& w, std::size_t i, const vec& y, const noise& e) {
    const example ex = encode(w, i, e);
    vec ll;
    for (std::size_t k = 0; k < draws; ++k) {
        vec z(dc);
        for (std::size_t d = 0; d < dc; ++d) z[d] = ex.loc[d] + ex.scale[d] * e.k[(i * draws + k) * dc + d];
        ll.push_back(log_q_binary(w, z, y));
    }
    const double log_q_y_x = log_sum_exp(ll) - std::log(double(draws));
    const double weight = std::exp(log_q_binary(w, ex.zc, y) - log_q_y_x);
    const double inner = ex.common + log_p_binary(w, ex.zc, y) - log_q_binary(w, ex.zc, y);
    return -(weight * inner + log_q_y_x - 2 * std::log(2.0));
}
}  // namespace

TEST_CASE("ccvae: binary labels, the diagonal classifier and the per-label prior, both bounds by hand") {
    auto m = make_binary();
    const auto w = fix_weights(m);
    generator g = m.rng();
    const noise e = noise_of(g);
    const std::uint64_t offset = m.rng().offset();
    const auto l = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 2}, {1, 0, 0, 1}));
    CHECK(term(l, "ccvae.sup") ==
          doctest::Approx((sup_binary(w, 0, {1, 0}, e) + sup_binary(w, 1, {0, 1}, e)) / n).epsilon(1e-12));

    // All hidden: one draw ŷ ~ q(y | z_c) per label (uniforms after z_c and z), no K draws.
    m.rng().set_offset(offset);
    const auto hidden = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 2}, {-1, -1, -1, -1}),
                                 tensor<double, cpu>::from_host({n}, {0, 0}));
    generator after(g.seed(), g.stream(), offset + n * dc + n);
    auto u = tensor<double, cpu>::zeros({n, 2});
    uniform_(u, after);
    const vec uv = u.to_vector();
    double expected = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const example ex = encode(w, i, e);
        vec y_hat(2);
        for (std::size_t j = 0; j < 2; ++j) {
            const double l = w.at("classifier.weight")[j] * ex.zc[j] + w.at("classifier.bias")[j];
            y_hat[j] = uv[i * 2 + j] < sigmoid(l) ? 1 : 0;
        }
        expected += -(ex.common + log_p_binary(w, ex.zc, y_hat) - 2 * std::log(2.0) - log_q_binary(w, ex.zc, y_hat));
    }
    CHECK(term(hidden, "ccvae.unsup") == doctest::Approx(expected / n).epsilon(1e-12));
}

TEST_CASE("ccvae: the modified DIVA baseline, auxiliary classifier and imputed labels, by hand") {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    auto m = diva_categorical<>::build(cpu{}, flat, linear_networks(),
                                       model_options{}.size("c", dc).size("z", 1).set("diva.alpha", 0.7), 3);
    const auto w = fix_weights(m);
    generator g = m.rng();
    const noise e = noise_of(g);  // z_c and z; DIVA draws no K samples
    const std::uint64_t offset = m.rng().offset();
    const auto l = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {1, -1}),
                            tensor<double, cpu>::from_host({n}, {1, 0}));
    // recon + KL(z) of example i, and KL(q(z_c|x) ‖ p(z_c|c)).
    auto base = [&](std::size_t i) {
        const example ex = encode(w, i, e);
        double log_q = 0;
        for (std::size_t d = 0; d < dc; ++d) log_q += log_normal(ex.zc[d], ex.loc[d], ex.scale[d]);
        return -ex.common - log_q;
    };
    auto kl_c = [&](std::size_t i, std::size_t c) {
        const example ex = encode(w, i, e);
        double kl = 0;
        for (std::size_t d = 0; d < dc; ++d)
            kl += kl_normal(ex.loc[d], ex.scale[d], w.at("prior.c.loc")[c * dc + d],
                            scale_of(w.at("prior.c.raw_scale")[c * dc + d]));
        return kl;
    };
    CHECK(term(l, "diva.labelled") == doctest::Approx((base(0) + kl_c(0, 1)) / n).epsilon(1e-12));
    CHECK(term(l, "diva.classifier") ==
          doctest::Approx(0.7 * -log_q_class(w, encode(w, 0, e).zc, 1)).epsilon(1e-12));  // one labelled row
    // The hidden row's label is drawn from q(y | z_c) by inverse CDF, with the uniforms after z_c and z.
    generator after(g.seed(), g.stream(), offset + n * dc + n);
    auto u = tensor<double, cpu>::zeros({n, 1});
    uniform_(u, after);
    const double u1 = u.to_vector()[1];
    std::size_t imputed = classes - 1;
    double acc = 0;
    for (std::size_t c = 0; c < classes; ++c) {
        acc += std::exp(log_q_class(w, encode(w, 1, e).zc, c));
        if (u1 < acc) {
            imputed = c;
            break;
        }
    }
    CHECK(term(l, "diva.unlabelled") == doctest::Approx((base(1) + kl_c(1, imputed)) / n).epsilon(1e-12));
    CHECK(m.groups() == std::vector<std::string>{"model"});
}
