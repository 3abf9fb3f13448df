#include <doctest/doctest.h>

#include <algorithm>

#include <latent/eval/probes.hpp>

#include <cmath>
#include <numbers>
#include <vector>

using namespace latent;

namespace {

struct labelled_points {
    std::vector<double> x;  // [n, 2]
    std::vector<std::int32_t> y;
};

/// Two interleaved spirals (label = arm), 1.25 turns each, Gaussian noise of `noise`:
/// no straight line separates them.
labelled_points two_spirals(std::int64_t n, std::uint64_t seed, double noise = 0.15) {
    generator gen(seed);
    const philox_range r = gen.take(static_cast<std::uint64_t>(3 * n));
    labelled_points out;
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(3 * i);
        const int arm = static_cast<int>(i % 2);
        const double t = 0.5 + 2.5 * std::numbers::pi * std::sqrt(r.uniform(k));
        const double a = t + arm * std::numbers::pi;
        out.x.push_back(t * std::cos(a) / 4 + noise * r.normal(k + 1));
        out.x.push_back(t * std::sin(a) / 4 + noise * r.normal(k + 2));
        out.y.push_back(arm);
    }
    return out;
}

/// Three concentric rings of radii 1, 2, 3 (label = ring), radial noise 0.15.
labelled_points rings(std::int64_t n, std::uint64_t seed) {
    generator gen(seed);
    const philox_range r = gen.take(static_cast<std::uint64_t>(2 * n));
    labelled_points out;
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(2 * i);
        const int ring = static_cast<int>(i % 3);
        const double a = 2 * std::numbers::pi * r.uniform(k);
        const double rad = 1.0 + ring + 0.15 * r.normal(k + 1);
        out.x.push_back(100.0 + rad * std::cos(a));  // offset and scale: the probe must standardise
        out.x.push_back(-50.0 + 10.0 * rad * std::sin(a));
        out.y.push_back(ring);
    }
    return out;
}

}  // namespace

TEST_CASE("probes: a nonlinear probe separates two spirals that a linear probe cannot") {
    const auto train = two_spirals(3000, 1), test = two_spirals(1000, 2);
    const auto o = eval::probe_options{}.epochs(40).seed(3);
    const double mlp = eval::probe_accuracy({train.x, 2}, train.y, {test.x, 2}, test.y, o);
    const double lin = eval::linear_probe_accuracy({train.x, 2}, train.y, {test.x, 2}, test.y, o);
    MESSAGE("two spirals: mlp ", mlp, ", linear ", lin);
    CHECK(mlp >= 0.95);
    CHECK(lin <= 0.75);
}

TEST_CASE("probes: three concentric rings, multi-class, with unstandardised features") {
    const auto train = rings(1500, 4), test = rings(600, 5);
    const auto o = eval::probe_options{}.epochs(30).hidden({64}).seed(1);
    const double mlp = eval::probe_accuracy({train.x, 2}, train.y, {test.x, 2}, test.y, o);
    const double lin = eval::linear_probe_accuracy({train.x, 2}, train.y, {test.x, 2}, test.y, o);
    MESSAGE("rings: mlp ", mlp, ", linear ", lin);
    CHECK(mlp >= 0.95);
    CHECK(lin <= 0.6);  // chance is 1/3; a line can only split off part of the outer ring
}

TEST_CASE("probes: the same seed gives the same probe and a label-free feature gives chance") {
    const auto train = two_spirals(800, 7), test = two_spirals(400, 8);
    const auto o = eval::probe_options{}.epochs(5).seed(11);
    auto a = eval::train_probe({train.x, 2}, train.y, o);
    auto b = eval::train_probe({train.x, 2}, train.y, o);
    CHECK(a.predict({test.x, 2}) == b.predict({test.x, 2}));

    // a feature independent of the label: noise only
    generator gen(9);
    const philox_range r = gen.take(2400);
    std::vector<float> noise_train(1600), noise_test(800);
    for (std::size_t i = 0; i < 1600; ++i) noise_train[i] = static_cast<float>(r.normal(i));
    for (std::size_t i = 0; i < 800; ++i) noise_test[i] = static_cast<float>(r.normal(1600 + i));
    const double acc = eval::probe_accuracy({noise_train, 2}, train.y, {noise_test, 2}, test.y,
                                            eval::probe_options{}.epochs(10));
    CHECK(acc == doctest::Approx(0.5).epsilon(0.15));
}

TEST_CASE("probes: tensors are accepted and bad inputs are refused") {
    const auto x = tensor<float>::from_host({4, 2}, {0, 0, 1, 1, 0, 1, 1, 0});
    const auto y = tensor<std::int32_t>::from_host({4}, {0, 0, 1, 1});
    const double acc = eval::probe_accuracy(x, y, x, y, eval::probe_options{}.epochs(1));
    CHECK(acc >= 0.0);
    CHECK(acc <= 1.0);
    const auto short_y = tensor<std::int32_t>::from_host({3}, {0, 1, 0});
    CHECK_THROWS_AS(eval::train_probe(x, short_y), shape_error);
    const auto bad_y = tensor<std::int32_t>::from_host({4}, {0, -1, 1, 0});
    CHECK_THROWS_AS(eval::train_probe(x, bad_y), config_error);
    CHECK_THROWS_AS(eval::train_probe(x, y, eval::probe_options{}.classes(1)), config_error);
    auto p = eval::train_probe(x, y, eval::probe_options{}.epochs(1));
    const auto three_d = tensor<float>::from_host({1, 3}, {0, 0, 0});
    CHECK_THROWS_AS(p.predict(three_d), shape_error);
    CHECK_THROWS_AS(eval::probe_options{}.epochs(0), config_error);
}

TEST_CASE("probes: early stopping returns the pass with the best validation accuracy and stops after `patience` worse ones") {
    const auto train = two_spirals(400, 6), val = two_spirals(300, 7);
    const eval::host_points tx{train.x, 2}, vx{val.x, 2};
    const eval::host_labels ty{train.y}, vy{val.y};
    const auto o = eval::probe_options{}.hidden({16, 16}).seed(2);
    // The validation accuracy after each pass k = 1…8: a probe trained for k passes is the state
    // after pass k of a longer run.
    std::vector<double> after;
    for (int k = 1; k <= 8; ++k) after.push_back(eval::train_probe(tx, ty, eval::probe_options(o).epochs(k)).accuracy(vx, vy));
    MESSAGE("validation accuracy after each pass: ", after[0], " ", after[1], " ", after[2], " ", after[3], " ", after[4], " ", after[5], " ", after[6], " ", after[7]);
    const eval::validation_set patient{&vx, &vy, 100};
    auto best = eval::train_probe(tx, ty, eval::probe_options(o).epochs(8), &patient);
    CHECK(best.accuracy(vx, vy) == *std::max_element(after.begin(), after.end()));
    // With patience 0 training stops at the first pass that does not improve, keeping the one before.
    std::size_t stop = 0;
    while (stop + 1 < after.size() && after[stop + 1] > after[stop]) ++stop;
    const eval::validation_set impatient{&vx, &vy, 0};
    CHECK(eval::train_probe(tx, ty, eval::probe_options(o).epochs(8), &impatient).accuracy(vx, vy) == after[stop]);
    const eval::validation_set missing{&vx, nullptr, 1};
    CHECK_THROWS_WITH_AS(eval::train_probe(tx, ty, o, &missing), doctest::Contains("validation set"), config_error);
}
