// The CCVAE user API (models/characteristics.hpp) against hand computations on toy models with
// fixed linear networks: classification, interventions, swaps, traversals and diversity, on
// CCVAE's characteristic latent and on the M2 and MVAE routes.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "latent/models/ccvae.hpp"
#include "latent/models/characteristics.hpp"
#include "latent/models/m2.hpp"
#include "latent/models/mvae.hpp"
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

TEST_CASE("characteristics: predict_labels is the argmax of classify, and reconstruct_with_labels the posterior mean's decode") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const auto p = classify(m, inputs(), 7, 2).to_vector();
    const auto y = predict_labels(m, inputs(), 7, 2).to_vector();
    REQUIRE(y.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto row = p.begin() + static_cast<std::ptrdiff_t>(i * classes);
        CHECK(y[i] == std::max_element(row, row + classes) - row);
    }
    const code a = encode_mean(w, 0);
    const vec want = decode(w, a.mean);
    const auto got = reconstruct_with_labels(m, inputs()).to_vector();
    CHECK(got[0] == doctest::Approx(want[0]).epsilon(1e-6));
    CHECK(got[1] == doctest::Approx(want[1]).epsilon(1e-6));
}

TEST_CASE("characteristics: a single intervention (set or flipped) on binary labels moves only that label's dims of z_c") {
    // ccvae<> with two binary labels: z_c has one dim per label, z one dim. Label 1 set to 1 moves
    // z_c's dim 1 to loc_on[1] and leaves dim 0 (label 0's) at its posterior mean.
    const data::example_layout flat{{2}, 2, 0, {"a", "b"}};
    auto m = ccvae<bernoulli_likelihood>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1), 3);
    const auto w = fix_weights(m);
    const auto moved = intervene_label(m, inputs(), 1, 1).to_vector();
    const auto back = intervene_label(m, inputs(), 0, 0).to_vector();
    for (std::size_t i = 0; i < 2; ++i) {
        const vec x{xs[2 * i], xs[2 * i + 1]};
        const vec hc = affine(w.at("head.c.weight"), w.at("head.c.bias"), x);
        const vec hz = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);
        const vec want = decode(w, {hc[0], w.at("prior.c.loc_on")[1], hz[0]});
        const vec want_off = decode(w, {w.at("prior.c.loc_off")[0], hc[1], hz[0]});
        for (std::size_t k = 0; k < 2; ++k) {
            CHECK(moved[i * 2 + k] == doctest::Approx(want[k]).epsilon(1e-6));
            CHECK(back[i * 2 + k] == doctest::Approx(want_off[k]).epsilon(1e-6));
        }
    }
    // flip_label: label 1 moved to the prior mean of the value it is not given (or predicted) to
    // have, the other dims of the latent at their posterior means.
    const auto check_flipped_to = [&](const auto& got, auto label_one_on) {
        for (std::size_t i = 0; i < 2; ++i) {
            const vec x{xs[2 * i], xs[2 * i + 1]};
            const vec hc = affine(w.at("head.c.weight"), w.at("head.c.bias"), x);
            const vec hz = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);
            const double target = label_one_on(i) ? w.at("prior.c.loc_on")[1] : w.at("prior.c.loc_off")[1];
            const vec want = decode(w, {hc[0], target, hz[0]});
            for (std::size_t k = 0; k < 2; ++k) CHECK(got[i * 2 + k] == doctest::Approx(want[k]).epsilon(1e-6));
        }
    };
    const auto predicted = predict_labels(m, inputs()).to_vector();
    check_flipped_to(flip_label(m, inputs(), 1).to_vector(), [&](std::size_t i) { return predicted[i * 2 + 1] == 0; });
    // Given labels are flipped as given, not predicted again: label 1 given as the opposite of its
    // prediction is flipped back to the predicted value's prior mean.
    std::vector<std::int32_t> given = predicted;
    for (std::size_t i = 0; i < 2; ++i) given[i * 2 + 1] = 1 - given[i * 2 + 1];
    check_flipped_to(flip_label(m, inputs(), 1, tensor<std::int32_t, cpu>::from_host({2, 2}, given)).to_vector(),
                     [&](std::size_t i) { return predicted[i * 2 + 1] == 1; });
    CHECK_THROWS_WITH_AS(flip_label(m, inputs(), 0, tensor<std::int32_t, cpu>::from_host({2, 1}, {0, 1})),
                         doctest::Contains("labels [2, 1]"), shape_error);
    auto categorical = make_model();
    CHECK_THROWS_WITH_AS(flip_label(categorical, inputs(), 0), doctest::Contains("binary labels"), config_error);
    CHECK_THROWS_WITH_AS(flip_label(m, inputs(), 2), doctest::Contains("label 2 of 2"), config_error);
    CHECK_THROWS_WITH_AS(intervene_label(m, inputs(), 2, 1), doctest::Contains("label 2 of 2"), config_error);
    CHECK_THROWS_WITH_AS(intervene_label(m, inputs(), 0, 2), doctest::Contains("value 2 of 2"), config_error);
}

namespace {

// M2: q(z | x, y) from [x, one-hot y], the decoder from [z, one-hot y], q(y | x) from x (all linear).
auto make_m2() {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    return m2<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1), 5);
}
vec one_hot_after(const vec& head, std::size_t c) {
    vec v = head;
    for (std::size_t k = 0; k < classes; ++k) v.push_back(k == c ? 1.0 : 0.0);
    return v;
}
vec m2_class_probs(const std::map<std::string, vec>& w, std::size_t i) {
    vec l = affine(w.at("classifier.weight"), w.at("classifier.bias"), {xs[2 * i], xs[2 * i + 1]});
    double total = 0;
    for (double& v : l) total += (v = std::exp(v));
    for (double& v : l) v /= total;
    return l;
}
/// Sets parameter `name` of m to `values` (and in w, the test's copy).
template <class M>
void set_parameter(M& m, std::map<std::string, vec>& w, const std::string& name, const vec& values) {
    for (auto* p : m.parameters())
        if (p->name() == name) {
            p->value().copy_(tensor<double, cpu>::from_host(p->shape(), values));
            w[name] = values;
            return;
        }
    FAIL("no parameter " << name);
}
std::size_t argmax(const vec& v) { return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin()); }
double m2_z(const std::map<std::string, vec>& w, std::size_t i, std::size_t c) {
    return affine(w.at("head.z.weight"), w.at("head.z.bias"), one_hot_after({xs[2 * i], xs[2 * i + 1]}, c))[0];
}
vec m2_decode(const std::map<std::string, vec>& w, double z, std::size_t c) {
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), one_hot_after({z}, c));
    return {sigmoid(l[0]), sigmoid(l[1])};
}

}  // namespace

TEST_CASE("characteristics: the M2 route classifies with q(y|x) and writes labels through the decoder") {
    auto m = make_m2();
    auto w = fix_weights(m);
    set_parameter(m, w, "classifier.weight", {1, -1, -1, 1, 0, 0});  // x0 → class 1, x1 → class 0
    const auto p = classify(m, inputs()).to_vector();
    const vec p0 = m2_class_probs(w, 0), p1 = m2_class_probs(w, 1);
    for (std::size_t k = 0; k < classes; ++k) {
        CHECK(p[k] == doctest::Approx(p0[k]).epsilon(1e-12));
        CHECK(p[classes + k] == doctest::Approx(p1[k]).epsilon(1e-12));
    }
    const std::size_t y0 = argmax(p0), y1 = argmax(p1);
    REQUIRE(y0 != y1);  // so that the swap below tells a's label from b's
    CHECK(predict_labels(m, inputs()).to_vector() == std::vector<std::int32_t>{std::int32_t(y0), std::int32_t(y1)});

    // Intervention: z from q(z | x, ŷ), decoded with the new class.
    const auto moved = intervene(m, inputs(), tensor<std::int32_t, cpu>::from_host({2, 1}, {2, 0})).to_vector();
    const vec want0 = m2_decode(w, m2_z(w, 0, y0), 2), want1 = m2_decode(w, m2_z(w, 1, y1), 0);
    CHECK(moved[0] == doctest::Approx(want0[0]).epsilon(1e-6));
    CHECK(moved[1] == doctest::Approx(want0[1]).epsilon(1e-6));
    CHECK(moved[2] == doctest::Approx(want1[0]).epsilon(1e-6));
    CHECK(moved[3] == doctest::Approx(want1[1]).epsilon(1e-6));

    // A single intervention on the one categorical label is the same intervention.
    const auto single = intervene_label(m, inputs(), 0, 2).to_vector();
    CHECK(single[0] == doctest::Approx(want0[0]).epsilon(1e-6));

    // The base of the confusion matrix: x decoded with its own predicted class.
    const auto base = reconstruct_with_labels(m, inputs()).to_vector();
    CHECK(base[0] == doctest::Approx(m2_decode(w, m2_z(w, 0, y0), y0)[0]).epsilon(1e-6));

    // Swap: b's z (under b's predicted class) decoded with a's predicted class.
    const auto flipped = tensor<double, cpu>::from_host({2, 2}, {xs[2], xs[3], xs[0], xs[1]});
    const auto swapped = characteristic_swap(m, inputs(), flipped).to_vector();
    const vec s0 = m2_decode(w, m2_z(w, 1, y1), y0);
    CHECK(swapped[0] == doctest::Approx(s0[0]).epsilon(1e-6));
    CHECK(swapped[1] == doctest::Approx(s0[1]).epsilon(1e-6));

    // The forms that take x's labels read the labels given (here not the predicted ones) instead
    // of classifying x again.
    const std::size_t g0 = (y0 + 1) % classes, g1 = (y1 + 2) % classes;
    const auto given = tensor<std::int32_t, cpu>::from_host({2, 1}, {std::int32_t(g0), std::int32_t(g1)});
    const auto to_class_2 = tensor<std::int32_t, cpu>::from_host({2, 1}, {2, 2});
    const auto moved_given = intervene(m, inputs(), given, to_class_2).to_vector();
    CHECK(moved_given[0] == doctest::Approx(m2_decode(w, m2_z(w, 0, g0), 2)[0]).epsilon(1e-6));
    CHECK(moved_given[3] == doctest::Approx(m2_decode(w, m2_z(w, 1, g1), 2)[1]).epsilon(1e-6));
    const auto base_given = reconstruct_with_labels(m, inputs(), given).to_vector();
    CHECK(base_given[1] == doctest::Approx(m2_decode(w, m2_z(w, 0, g0), g0)[1]).epsilon(1e-6));
    CHECK(base_given[2] == doctest::Approx(m2_decode(w, m2_z(w, 1, g1), g1)[0]).epsilon(1e-6));
    const auto given_b = tensor<std::int32_t, cpu>::from_host({2, 1}, {std::int32_t(g1), std::int32_t(g0)});
    const auto swapped_given = characteristic_swap(m, inputs(), flipped, given, given_b).to_vector();
    CHECK(swapped_given[0] == doctest::Approx(m2_decode(w, m2_z(w, 1, g1), g0)[0]).epsilon(1e-6));
    CHECK(swapped_given[3] == doctest::Approx(m2_decode(w, m2_z(w, 0, g0), g1)[1]).epsilon(1e-6));
}

namespace {

// MVAE: the x-expert from x, the label expert from one-hot y, both [loc, raw] of 1 dim; the
// decoder reads z alone; p(y | z) a linear layer.
auto make_mvae() {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    return mvae<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1), 6);
}
struct gauss1 {
    double loc, scale;
};
gauss1 mvae_x_expert(const std::map<std::string, vec>& w, std::size_t i) {
    const vec h = affine(w.at("head.z.weight"), w.at("head.z.bias"), {xs[2 * i], xs[2 * i + 1]});
    return {h[0], scale_of(h[1])};
}
gauss1 mvae_y_expert(const std::map<std::string, vec>& w, std::size_t c) {
    const vec h = affine(w.at("expert.y.weight"), w.at("expert.y.bias"), one_hot_after({}, c));
    return {h[0], scale_of(h[1])};
}
/// The product of N(0, 1) and the experts.
gauss1 product(const std::vector<gauss1>& experts) {
    double precision = 1, weighted = 0;
    for (const gauss1& e : experts) {
        precision += 1 / (e.scale * e.scale);
        weighted += e.loc / (e.scale * e.scale);
    }
    return {weighted / precision, std::sqrt(1 / precision)};
}
vec mvae_decode(const std::map<std::string, vec>& w, double z) {
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), {z});
    return {sigmoid(l[0]), sigmoid(l[1])};
}
vec mvae_class_probs(const std::map<std::string, vec>& w, double z) {
    vec l = affine(w.at("label_decoder.weight"), w.at("label_decoder.bias"), {z});
    double total = 0;
    for (double& v : l) total += (v = std::exp(v));
    for (double& v : l) v /= total;
    return l;
}

}  // namespace

TEST_CASE("characteristics: the MVAE route reads labels through p(y|z) and writes them through the label expert") {
    auto m = make_mvae();
    auto w = fix_weights(m);
    // x0's posterior mean below 0 (class 1), x1's above (class 0).
    set_parameter(m, w, "head.z.weight", {1, -1, 0, 0});
    set_parameter(m, w, "head.z.bias", {0, 0});
    set_parameter(m, w, "label_decoder.weight", {1, -1, 0});
    const auto p = classify(m, inputs()).to_vector();
    const vec p0 = mvae_class_probs(w, product({mvae_x_expert(w, 0)}).loc);
    const vec p1 = mvae_class_probs(w, product({mvae_x_expert(w, 1)}).loc);
    for (std::size_t k = 0; k < classes; ++k) {
        CHECK(p[k] == doctest::Approx(p0[k]).epsilon(1e-12));
        CHECK(p[classes + k] == doctest::Approx(p1[k]).epsilon(1e-12));
    }
    const std::size_t y0 = argmax(p0), y1 = argmax(p1);
    REQUIRE(y0 != y1);

    // Intervention: the mean of PoE(prior, x-expert, label expert of the new class), decoded.
    const auto moved = intervene(m, inputs(), tensor<std::int32_t, cpu>::from_host({2, 1}, {2, 0})).to_vector();
    const vec want0 = mvae_decode(w, product({mvae_x_expert(w, 0), mvae_y_expert(w, 2)}).loc);
    const vec want1 = mvae_decode(w, product({mvae_x_expert(w, 1), mvae_y_expert(w, 0)}).loc);
    CHECK(moved[0] == doctest::Approx(want0[0]).epsilon(1e-6));
    CHECK(moved[1] == doctest::Approx(want0[1]).epsilon(1e-6));
    CHECK(moved[2] == doctest::Approx(want1[0]).epsilon(1e-6));
    CHECK(moved[3] == doctest::Approx(want1[1]).epsilon(1e-6));

    const auto base = reconstruct_with_labels(m, inputs()).to_vector();
    CHECK(base[2] == doctest::Approx(mvae_decode(w, product({mvae_x_expert(w, 1), mvae_y_expert(w, y1)}).loc)[0]).epsilon(1e-6));

    // Swap: b's x-expert with the label expert of a's predicted class.
    const auto flipped = tensor<double, cpu>::from_host({2, 2}, {xs[2], xs[3], xs[0], xs[1]});
    const auto swapped = characteristic_swap(m, inputs(), flipped).to_vector();
    const vec s0 = mvae_decode(w, product({mvae_x_expert(w, 1), mvae_y_expert(w, y0)}).loc);
    CHECK(swapped[0] == doctest::Approx(s0[0]).epsilon(1e-6));
    CHECK(swapped[1] == doctest::Approx(s0[1]).epsilon(1e-6));

    // Conditional generation: z ~ PoE(prior, label expert), drawn from generator(seed).
    const auto made = generate_with_labels(m, tensor<std::int32_t, cpu>::from_host({2, 1}, {1, 2}), 9).to_vector();
    generator g(9);
    auto eps = tensor<double, cpu>::zeros({2, 1});
    normal_(eps, g);
    const auto e = eps.to_vector();
    const gauss1 q1 = product({mvae_y_expert(w, 1)}), q2 = product({mvae_y_expert(w, 2)});
    CHECK(made[0] == doctest::Approx(mvae_decode(w, q1.loc + q1.scale * e[0])[0]).epsilon(1e-6));
    CHECK(made[3] == doctest::Approx(mvae_decode(w, q2.loc + q2.scale * e[1])[1]).epsilon(1e-6));
}
