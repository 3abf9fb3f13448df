// MVAE (MODELS.md §6, Wu & Goodman 2018) against hand computations on a tiny model with fixed
// linear networks: x ∈ R², z ∈ R², three classes (two binary labels in the last cases). Every
// expected value is redone below in plain double loops (the product of experts, the decoders, the
// KLs, the generator's draws in order); the gradient of the whole loss is checked against central
// differences of the model's own loss.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latent/models/mvae.hpp"
#include "latent/models/networks.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;

namespace {

constexpr std::int64_t n = 3, classes = 3, dim = 2;
const vec xs{0.2, 0.9, 1.0, 0.0, 0.6, 0.4};
using params = std::map<std::string, vec>;

tensor<double, cpu> inputs() { return tensor<double, cpu>::from_host({n, 2}, xs); }
tensor<std::int32_t, cpu> labels(const std::vector<std::int32_t>& v) {
    return tensor<std::int32_t, cpu>::from_host({n, 1}, v);
}
tensor<double, cpu> mask(const vec& v) { return tensor<double, cpu>::from_host({n}, v); }

auto make_model(model_options o = {}) {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    return mvae<>::build(cpu{}, flat, linear_networks(), o.size("z", dim), 7);
}

/// The draws, in the model's order: its own sample of q(z|x) (unused by MVAE), then ε_x, ε_xy, ε_y.
struct noise {
    vec own, x, xy, y;
};
noise noise_of(generator g) {
    auto take = [&] {
        auto t = tensor<double, cpu>::zeros({n, dim});
        normal_(t, g);
        return t.to_vector();
    };
    noise e;
    e.own = take();
    e.x = take();
    e.xy = take();
    e.y = take();
    return e;
}

struct gauss {
    vec loc, scale;
};
/// N(0, I) times the experts, per dimension, by the textbook formula.
gauss poe(const std::vector<gauss>& experts) {
    gauss out;
    for (std::size_t d = 0; d < dim; ++d) {
        double precision = 1, weighted = 0;
        for (const gauss& e : experts) {
            precision += 1 / (e.scale[d] * e.scale[d]);
            weighted += e.loc[d] / (e.scale[d] * e.scale[d]);
        }
        out.loc.push_back(weighted / precision);
        out.scale.push_back(std::sqrt(1 / precision));
    }
    return out;
}
gauss x_expert(const params& w, std::size_t i) {
    const vec h = affine(w.at("head.z.weight"), w.at("head.z.bias"), {xs[2 * i], xs[2 * i + 1]});
    return {{h[0], h[1]}, {scale_of(h[2]), scale_of(h[3])}};
}
gauss y_expert(const params& w, int c) {
    vec onehot(classes, 0.0);
    onehot[static_cast<std::size_t>(c)] = 1;
    const vec h = affine(w.at("expert.y.weight"), w.at("expert.y.bias"), onehot);
    return {{h[0], h[1]}, {scale_of(h[2]), scale_of(h[3])}};
}
vec draw(const gauss& q, const vec& eps, std::size_t i) {
    return {q.loc[0] + q.scale[0] * eps[i * dim], q.loc[1] + q.scale[1] * eps[i * dim + 1]};
}
/// −log p(x_i | z): Bernoulli logits from the linear decoder, summed over the two features.
double recon(const params& w, std::size_t i, const vec& z) {
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), z);
    double s = 0;
    for (std::size_t j = 0; j < 2; ++j) s += softplus(l[j]) - l[j] * xs[2 * i + j];
    return s;
}
vec label_logits(const params& w, const vec& z) {
    return affine(w.at("label_decoder.weight"), w.at("label_decoder.bias"), z);
}
/// −log p(y = c | z) under the softmax of the linear label decoder.
double label_nll(const params& w, const vec& z, int c) {
    const vec l = label_logits(w, z);
    const double lse = std::log(std::exp(l[0]) + std::exp(l[1]) + std::exp(l[2]));
    return lse - l[static_cast<std::size_t>(c)];
}
double kl(const gauss& q) { return kl_normal(q.loc[0], q.scale[0], 0, 1) + kl_normal(q.loc[1], q.scale[1], 0, 1); }

struct weights {
    double label = 1, beta = 1, x = 1, joint = 1, y = 1;
};
/// Per-example losses −ELBO(x), −ELBO(x, y), −ELBO(y) of example i with class c.
double x_loss(const params& w, std::size_t i, const noise& e, const weights& k) {
    const gauss q = poe({x_expert(w, i)});
    return recon(w, i, draw(q, e.x, i)) + k.beta * kl(q);
}
double joint_loss(const params& w, std::size_t i, int c, const noise& e, const weights& k) {
    const gauss q = poe({x_expert(w, i), y_expert(w, c)});
    const vec z = draw(q, e.xy, i);
    return recon(w, i, z) + k.label * label_nll(w, z, c) + k.beta * kl(q);
}
double y_loss(const params& w, std::size_t i, int c, const noise& e, const weights& k) {
    const gauss q = poe({y_expert(w, c)});
    return k.label * label_nll(w, draw(q, e.y, i), c) + k.beta * kl(q);
}
/// The three pieces for labels (−1 where hidden): batch means over all n rows, masked.
struct pieces {
    double x = 0, joint = 0, y = 0;
};
pieces expected(const params& w, const std::vector<int>& y, const noise& e, const weights& k = {}) {
    pieces p;
    for (std::size_t i = 0; i < n; ++i) {
        p.x += x_loss(w, i, e, k) / n;
        if (y[i] < 0) continue;
        p.joint += joint_loss(w, i, y[i], e, k) / n;
        p.y += y_loss(w, i, y[i], e, k) / n;
    }
    p.x *= k.x;
    p.joint *= k.joint;
    p.y *= k.y;
    return p;
}
void check_pieces(const step_losses<double, cpu>& l, const pieces& p) {
    CHECK(term(l, "mvae.x") == doctest::Approx(p.x).epsilon(1e-12));
    CHECK(term(l, "mvae.joint") == doctest::Approx(p.joint).epsilon(1e-12));
    CHECK(term(l, "mvae.y") == doctest::Approx(p.y).epsilon(1e-12));
    CHECK(l.main.item() == doctest::Approx(p.x + p.joint + p.y).epsilon(1e-12));
}

}  // namespace

TEST_CASE("mvae: the product of experts is the precision-weighted formula with the prior expert") {
    using obj = mvae_objective::impl<double, cpu>;
    auto normal_of = [](const vec& loc, const vec& scale) {
        return dist::normal<double, cpu>{var<double, cpu>(tensor<double, cpu>::from_host({1, 2}, loc)),
                                         var<double, cpu>(tensor<double, cpu>::from_host({1, 2}, scale))};
    };
    // Expert a: μ = (0.5, −2), σ = (0.5, 2); expert b: μ = (1, 3), σ = (1, 0.25).
    // Dim 0: precisions 1 + 4 + 1 = 6, μ = (0.5·4 + 1·1)/6 = 0.5, σ = 1/√6.
    // Dim 1: precisions 1 + 0.25 + 16 = 17.25, μ = (−2·0.25 + 3·16)/17.25 = 47.5/17.25, σ = 1/√17.25.
    const auto both = obj::product_of_experts({normal_of({0.5, -2}, {0.5, 2}), normal_of({1, 3}, {1, 0.25})});
    const vec loc = both.loc.value().to_vector(), scale = both.scale.value().to_vector();
    CHECK(loc[0] == doctest::Approx(0.5).epsilon(1e-14));
    CHECK(loc[1] == doctest::Approx(47.5 / 17.25).epsilon(1e-14));
    CHECK(scale[0] == doctest::Approx(1 / std::sqrt(6.0)).epsilon(1e-14));
    CHECK(scale[1] == doctest::Approx(1 / std::sqrt(17.25)).epsilon(1e-14));
    // One expert with the prior: N(1, 1)·N(0, 1) = N(½, ½).
    const auto one = obj::product_of_experts({normal_of({1, 1}, {1, 1})});
    CHECK(one.loc.value().to_vector()[0] == doctest::Approx(0.5).epsilon(1e-14));
    CHECK(one.scale.value().to_vector()[1] == doctest::Approx(std::sqrt(0.5)).epsilon(1e-14));
    // The formula of the test's own hand computation agrees.
    const gauss h = poe({{{0.5, -2}, {0.5, 2}}, {{1, 3}, {1, 0.25}}});
    CHECK(h.loc[1] == doctest::Approx(loc[1]).epsilon(1e-14));
    CHECK(h.scale[1] == doctest::Approx(scale[1]).epsilon(1e-14));
}

TEST_CASE("mvae: a labelled batch, ELBO(x, y) + ELBO(x) + ELBO(y) by hand") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const std::uint64_t before = m.rng().offset();
    const auto l = m.losses(inputs(), labels({0, 2, 1}));
    check_pieces(l, expected(w, {0, 2, 1}, e));
    CHECK(m.rng().offset() - before == 4 * n * dim);  // own sample, ε_x, ε_xy, ε_y
    CHECK(m.groups() == std::vector<std::string>{"model"});
    for (const char* name : {"expert.y.weight", "expert.y.bias", "label_decoder.weight", "label_decoder.bias"})
        CHECK(w.count(name) == 1);
}

TEST_CASE("mvae: an all-hidden batch has only ELBO(x), and draws only its sample") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const std::uint64_t before = m.rng().offset();
    const auto l = m.losses(inputs(), labels({-1, -1, -1}), mask({0, 0, 0}));
    check_pieces(l, expected(w, {-1, -1, -1}, e));
    CHECK(term(l, "mvae.joint") == 0.0);
    CHECK(term(l, "mvae.y") == 0.0);
    CHECK(m.rng().offset() - before == 2 * n * dim);  // own sample, ε_x
}

TEST_CASE("mvae: a mixed batch splits by the mask, with the label, KL and piece weights") {
    const weights k{2.5, 0.7, 1.5, 0.8, 0.5};
    auto m = make_model(model_options{}
                            .set("mvae.label_weight", k.label)
                            .set("mvae.kl_weight", k.beta)
                            .weight("mvae.x", k.x)
                            .weight("mvae.joint", k.joint)
                            .weight("mvae.y", k.y));
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const std::uint64_t offset = m.rng().offset();
    const auto l = m.losses(inputs(), labels({1, -1, 2}), mask({1, 0, 1}));
    check_pieces(l, expected(w, {1, -1, 2}, e, k));

    // β set at run time (annealing) is the one used.
    m.rng().set_offset(offset);
    m.objective_impl().set_kl_weight(0.25);
    weights annealed = k;
    annealed.beta = 0.25;
    check_pieces(m.losses(inputs(), labels({1, -1, 2}), mask({1, 0, 1})), expected(w, {1, -1, 2}, e, annealed));
}

namespace {

/// Checks the whole loss of m (fixed weights) on the mixed batch (y, mask 1 0 1) against central
/// differences, its draws replayed for every evaluation, and that the gradients of the parameters
/// named are not zero, so that the check means something for them.
template <class M>
void check_mixed_batch_gradient(M& m, const tensor<std::int32_t, cpu>& y, std::initializer_list<const char*> moved) {
    fix_weights(m);
    const auto x = inputs();
    const auto s = mask({1, 0, 1});
    const std::uint64_t offset = m.rng().offset();
    auto largest = check_gradient(m, [&] {
        m.rng().set_offset(offset);
        return m.losses(x, y, s);
    });
    for (const char* name : moved) {
        INFO(name);
        CHECK(largest[name] > 1e-3);
    }
}

}  // namespace

TEST_CASE("mvae: the gradient of the whole loss matches central differences, experts and decoders included") {
    auto m = make_model(model_options{}.set("mvae.label_weight", 2.0));
    check_mixed_batch_gradient(m, labels({2, -1, 0}),
                               {"expert.y.weight", "expert.y.bias", "label_decoder.weight", "label_decoder.bias",
                                "head.z.weight", "decoder.weight"});
}

TEST_CASE("mvae: class probabilities are p(y | z) at the mean of PoE(prior, x-expert)") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const vec got = mvae_class_probabilities(m, inputs()).to_vector();
    REQUIRE(got.size() == std::size_t(n * classes));
    for (std::size_t i = 0; i < n; ++i) {
        const vec l = label_logits(w, poe({x_expert(w, i)}).loc);
        const double total = std::exp(l[0]) + std::exp(l[1]) + std::exp(l[2]);
        for (std::size_t c = 0; c < classes; ++c) {
            CAPTURE(i);
            CAPTURE(c);
            CHECK(got[i * classes + c] == doctest::Approx(std::exp(l[c]) / total).epsilon(1e-12));
        }
    }
}

TEST_CASE("mvae: a second block and negative weights are refused by name") {
    using two_blocks = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>,
                                       block<"w", dynamic, standard_normal, gaussian_posterior<from_x>>>,
                             bernoulli_likelihood, mvae_objective>;
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    CHECK_THROWS_WITH_AS(two_blocks::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1).size("w", 1), 1),
                         doctest::Contains("exactly one latent block"), config_error);
    CHECK_THROWS_WITH_AS(make_model(model_options{}.set("mvae.label_weight", -1)),
                         doctest::Contains("mvae.label_weight"), config_error);
    CHECK_THROWS_WITH_AS(make_model(model_options{}.set("mvae.kl_weight", -0.5)), doctest::Contains("mvae.kl_weight"),
                         config_error);
}

TEST_CASE("mvae: a float model with MLP networks gives finite losses and class probabilities that sum to 1") {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    auto m = mvae<>::build(cpu{}, flat, mlp_networks<float, cpu>({8}), model_options{}.size("z", dim), 3);
    const auto x = tensor<float, cpu>::from_host({n, 2}, {0.2f, 0.9f, 1.0f, 0.0f, 0.6f, 0.4f});
    const auto l = m.losses(x, labels({1, -1, 2}), tensor<float, cpu>::from_host({n}, {1, 0, 1}));
    for (const auto& [name, v] : l.terms) {
        INFO(name);
        CHECK(std::isfinite(v));
    }
    const std::vector<float> p = mvae_class_probabilities(m, x).to_vector();
    for (std::size_t i = 0; i < n; ++i)
        CHECK(p[i * classes] + p[i * classes + 1] + p[i * classes + 2] == doctest::Approx(1.0).epsilon(1e-6));
}

// MVAE with L = 2 binary labels: q(z|y) reads the 0/1 vector, p(y|z) = Π_i Bern(sigmoid(g_i(z))).
// The same draws and pieces as above, the label parts redone for the binary case.
namespace {

constexpr std::int64_t bl = 2;
using bits = std::vector<std::vector<double>>;  // one label vector per row; empty where hidden

auto make_binary_model(model_options o = {}) {
    const data::example_layout flat{{2}, bl, 2, {"a", "b"}};
    return mvae<>::build(cpu{}, flat, linear_networks(), o.size("z", dim), 7);
}
tensor<std::int32_t, cpu> binary_labels(const std::vector<std::int32_t>& v) {
    return tensor<std::int32_t, cpu>::from_host({n, bl}, v);
}
gauss binary_y_expert(const params& w, const vec& y) {
    const vec h = affine(w.at("expert.y.weight"), w.at("expert.y.bias"), y);
    return {{h[0], h[1]}, {scale_of(h[2]), scale_of(h[3])}};
}
/// −log p(y | z) = Σ_j −[y_j log σ(g_j) + (1 − y_j) log(1 − σ(g_j))].
double binary_label_nll(const params& w, const vec& z, const vec& y) {
    const vec g = label_logits(w, z);
    double s = 0;
    for (std::size_t j = 0; j < bl; ++j) s -= y[j] * std::log(sigmoid(g[j])) + (1 - y[j]) * std::log(1 - sigmoid(g[j]));
    return s;
}
pieces expected_binary(const params& w, const bits& y, const noise& e, const weights& k = {}) {
    pieces p;
    for (std::size_t i = 0; i < n; ++i) {
        p.x += x_loss(w, i, e, k) / n;
        if (y[i].empty()) continue;
        const gauss q_xy = poe({x_expert(w, i), binary_y_expert(w, y[i])});
        const vec z_xy = draw(q_xy, e.xy, i);
        p.joint += (recon(w, i, z_xy) + k.label * binary_label_nll(w, z_xy, y[i]) + k.beta * kl(q_xy)) / n;
        const gauss q_y = poe({binary_y_expert(w, y[i])});
        p.y += (k.label * binary_label_nll(w, draw(q_y, e.y, i), y[i]) + k.beta * kl(q_y)) / n;
    }
    p.x *= k.x;
    p.joint *= k.joint;
    p.y *= k.y;
    return p;
}

}  // namespace

TEST_CASE("mvae: binary labels, a fully labelled batch by hand") {
    auto m = make_binary_model();
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const std::uint64_t before = m.rng().offset();
    const auto l = m.losses(inputs(), binary_labels({1, 0, 0, 1, 1, 1}));
    check_pieces(l, expected_binary(w, {{1, 0}, {0, 1}, {1, 1}}, e));
    CHECK(m.rng().offset() - before == 4 * n * dim);
    CHECK(w.at("expert.y.weight").size() == std::size_t(2 * dim * bl));  // reads the L labels
    CHECK(w.at("label_decoder.bias").size() == std::size_t(bl));          // one logit per label
}

TEST_CASE("mvae: binary labels, a mixed batch with the label and KL weights by hand") {
    const weights k{2.5, 0.7, 1.5, 0.8, 0.5};
    auto m = make_binary_model(model_options{}
                                   .set("mvae.label_weight", k.label)
                                   .set("mvae.kl_weight", k.beta)
                                   .weight("mvae.x", k.x)
                                   .weight("mvae.joint", k.joint)
                                   .weight("mvae.y", k.y));
    const auto w = fix_weights(m);
    const noise e = noise_of(m.rng());
    const auto l = m.losses(inputs(), binary_labels({0, 1, -1, -1, 1, 0}), mask({1, 0, 1}));
    check_pieces(l, expected_binary(w, {{0, 1}, {}, {1, 0}}, e, k));
}

TEST_CASE("mvae: binary labels, the loss's gradient matches central differences") {
    auto m = make_binary_model(model_options{}.set("mvae.label_weight", 2.0));
    check_mixed_batch_gradient(m, binary_labels({1, 1, -1, -1, 0, 1}),
                               {"expert.y.weight", "expert.y.bias", "label_decoder.weight", "label_decoder.bias"});
}

TEST_CASE("mvae: binary labels, class probabilities are each label's sigmoid at the mean of PoE(prior, x-expert)") {
    auto m = make_binary_model();
    const auto w = fix_weights(m);
    const vec got = mvae_class_probabilities(m, inputs()).to_vector();
    REQUIRE(got.size() == std::size_t(n * bl));
    for (std::size_t i = 0; i < n; ++i) {
        const vec g = label_logits(w, poe({x_expert(w, i)}).loc);
        for (std::size_t j = 0; j < bl; ++j) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK(got[i * bl + j] == doctest::Approx(sigmoid(g[j])).epsilon(1e-12));
        }
    }
}
