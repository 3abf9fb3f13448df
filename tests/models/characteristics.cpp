// The CCVAE user API (models/characteristics.hpp) against hand computations on a toy model with
// fixed linear networks: classification, interventions, swaps, traversals and diversity.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "latent/models/ccvae.hpp"
#include "latent/models/characteristics.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;

namespace {

constexpr std::size_t classes = 3, dc = 2;

auto make_model() {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    return ccvae_categorical<>::build(cpu{}, flat, linear_networks(), model_options{}.size("c", dc).size("z", 1), 3);
}
const vec xs{0.2, 0.9, 1.0, 0.0};
tensor<double, cpu> inputs() { return tensor<double, cpu>::from_host({2, 2}, xs); }

/// Posterior means (c0, c1, z) and the scales of c for example i.
struct code {
    vec mean, c_scale;
};
code encode_mean(const std::map<std::string, vec>& w, std::size_t i) {
    const vec x{xs[2 * i], xs[2 * i + 1]};
    const vec hc = affine(w.at("head.c.weight"), w.at("head.c.bias"), x);
    const vec hz = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);
    return {{hc[0], hc[1], hz[0]}, {scale_of(hc[2]), scale_of(hc[3])}};
}
vec decode(const std::map<std::string, vec>& w, const vec& latent) {
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), latent);
    return {sigmoid(l[0]), sigmoid(l[1])};
}
vec class_probs(const std::map<std::string, vec>& w, const vec& zc) {
    vec l(classes);
    double total = 0;
    for (std::size_t k = 0; k < classes; ++k) {
        l[k] = w.at("classifier.bias")[k] + zc[0] * w.at("classifier.weight")[k] + zc[1] * w.at("classifier.weight")[classes + k];
    }
    for (double& v : l) total += (v = std::exp(v));
    for (double& v : l) v /= total;
    return l;
}

}  // namespace

TEST_CASE("characteristics: classify averages q(y|z_c) over draws of q(z_c|x)") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const auto p = classify(m, inputs(), 5, 11).to_vector();
    generator g(11);
    vec expected(2 * classes, 0.0);
    for (int k = 0; k < 5; ++k) {
        auto eps = tensor<double, cpu>::zeros({2, static_cast<std::int64_t>(dc)});
        normal_(eps, g);
        const auto e = eps.to_vector();
        for (std::size_t i = 0; i < 2; ++i) {
            const code c = encode_mean(w, i);
            const vec probs = class_probs(w, {c.mean[0] + c.c_scale[0] * e[i * dc], c.mean[1] + c.c_scale[1] * e[i * dc + 1]});
            for (std::size_t j = 0; j < classes; ++j) expected[i * classes + j] += probs[j] / 5;
        }
    }
    for (std::size_t k = 0; k < expected.size(); ++k) CHECK(p[k] == doctest::Approx(expected[k]).epsilon(1e-12));
    CHECK(p[0] + p[1] + p[2] == doctest::Approx(1.0));
}

TEST_CASE("characteristics: intervene, swap and traverse decode the latents they promise") {
    // Latents pass through the host in float (as the other manipulations do): 1e-6.
    auto m = make_model();
    const auto w = fix_weights(m);
    const code a = encode_mean(w, 0), b = encode_mean(w, 1);

    // Intervention: z_c at the class-2 prior mean (row 2 of prior.c.loc), z kept.
    const auto moved = intervene(m, inputs(), tensor<std::int32_t, cpu>::from_host({2, 1}, {2, 0})).to_vector();
    const vec& loc = w.at("prior.c.loc");
    const vec want0 = decode(w, {loc[2 * dc], loc[2 * dc + 1], a.mean[2]});
    const vec want1 = decode(w, {loc[0], loc[1], b.mean[2]});
    CHECK(moved[0] == doctest::Approx(want0[0]).epsilon(1e-6));
    CHECK(moved[1] == doctest::Approx(want0[1]).epsilon(1e-6));
    CHECK(moved[2] == doctest::Approx(want1[0]).epsilon(1e-6));
    CHECK(moved[3] == doctest::Approx(want1[1]).epsilon(1e-6));

    // Swap: a's z_c on b's z, and the reverse.
    const auto flipped = tensor<double, cpu>::from_host({2, 2}, {xs[2], xs[3], xs[0], xs[1]});
    const auto swapped = characteristic_swap(m, inputs(), flipped).to_vector();
    const vec s0 = decode(w, {a.mean[0], a.mean[1], b.mean[2]});
    CHECK(swapped[0] == doctest::Approx(s0[0]).epsilon(1e-6));
    CHECK(swapped[1] == doctest::Approx(s0[1]).epsilon(1e-6));

    // Traversal of z_c's second dimension.
    const auto walk = traverse_characteristic(m, inputs().rows(0, 1).clone(), 1, {-2.0, 0.5}).to_vector();
    const vec t0 = decode(w, {a.mean[0], -2.0, a.mean[2]}), t1 = decode(w, {a.mean[0], 0.5, a.mean[2]});
    CHECK(walk[0] == doctest::Approx(t0[0]).epsilon(1e-6));
    CHECK(walk[3] == doctest::Approx(t1[1]).epsilon(1e-6));
    CHECK_THROWS_AS(traverse_characteristic(m, inputs(), 0, {1.0}), config_error);
}

TEST_CASE("characteristics: diversity draws z_c from the prior of the chosen class and maps the variance") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const code a = encode_mean(w, 0);
    const auto d = intervention_diversity(m, inputs().rows(0, 1).clone(), tensor<std::int32_t, cpu>::from_host({1, 1}, {1}), 6, 4);
    REQUIRE(d.images.shape() == shape{6, 2});
    REQUIRE(d.variance.shape() == shape{1, 2});
    generator g(4);
    auto eps = tensor<double, cpu>::zeros({6, static_cast<std::int64_t>(dc)});
    normal_(eps, g);
    const auto e = eps.to_vector(), images = d.images.to_vector();
    const vec& loc = w.at("prior.c.loc");
    const vec& raw = w.at("prior.c.raw_scale");
    vec mean(2, 0.0), sq(2, 0.0);
    for (std::size_t i = 0; i < 6; ++i) {
        const vec img = decode(w, {loc[dc] + scale_of(raw[dc]) * e[i * dc], loc[dc + 1] + scale_of(raw[dc + 1]) * e[i * dc + 1], a.mean[2]});
        for (std::size_t p = 0; p < 2; ++p) {
            CHECK(images[i * 2 + p] == doctest::Approx(img[p]).epsilon(1e-6));
            mean[p] += img[p] / 6;
            sq[p] += img[p] * img[p] / 6;
        }
    }
    const auto v = d.variance.to_vector();
    for (std::size_t p = 0; p < 2; ++p) CHECK(v[p] == doctest::Approx(sq[p] - mean[p] * mean[p]).epsilon(1e-4));
}
