// eval::triplet_accuracy (eval/triplet_accuracy.hpp) against accuracies counted by hand.
#include <doctest/doctest.h>

#include <latent/eval/triplet_accuracy.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace latent;
using eval::host_labels;
using eval::host_points;

namespace {
// Four codes of three dims. Query 0 owns dim 0, query 1 owns dim 1; dim 2 is free.
//   code 0: (0.0,  0.0, 5)   factor a = 0, factor b = 0
//   code 1: (0.1,  1.0, 0)   a = 0, b = 1
//   code 2: (1.0,  0.2, 9)   a = 1, b = 0
//   code 3: (1.1,  0.9, 1)   a = 1, b = 1
// Dim 0 separates a perfectly and dim 1 separates b perfectly.
const std::vector<double> flat{0.0, 0.0, 5, 0.1, 1.0, 0, 1.0, 0.2, 9, 1.1, 0.9, 1};
const std::vector<std::vector<double>> masks{{1, 0, 0}, {0, 1, 0}};
}  // namespace

TEST_CASE("triplet_accuracy: the own subspace of a separating code scores 1, the other subspace as counted by hand") {
    const host_points codes(flat, 3);
    // Query 0 (factor a): (0, 1, 2) and (0, 1, 3) and (2, 3, 0) and (2, 3, 1).
    // Query 1 (factor b): (0, 2, 1), (1, 3, 0), (3, 1, 2).
    const std::vector<std::vector<data::triplet>> triplets{{{0, 1, 2}, {0, 1, 3}, {2, 3, 0}, {2, 3, 1}},
                                                           {{0, 2, 1}, {1, 3, 0}, {3, 1, 2}}};
    const auto r = eval::triplet_accuracy(codes, masks, triplets);
    CHECK(r.own == std::vector<double>{1.0, 1.0});
    CHECK(r.triplets == std::vector<std::int64_t>{4, 3});
    // Query 0 under dim 1: (0,1,2) d 1.0 vs 0.04 wrong; (0,1,3) 1.0 vs 0.81 wrong;
    // (2,3,0) 0.49 vs 0.04 wrong; (2,3,1) 0.49 vs 0.64 right: 1/4.
    CHECK(r.other[0] == doctest::Approx(0.25));
    // Query 1 under dim 0: (0,2,1) 1.0 vs 0.01 wrong; (1,3,0) 1.0 vs 0.01 wrong; (3,1,2) 1.0 vs 0.01 wrong: 0.
    CHECK(r.other[1] == doctest::Approx(0.0));
}

TEST_CASE("triplet_accuracy: ties count one half, soft masks weight the distance, one query has no other") {
    const host_points codes(flat, 3);
    // A mask that sees nothing ties every triplet: 0.5.
    const auto blind = eval::triplet_accuracy(codes, {{0, 0, 0}, {0, 0, 0}}, {{{0, 1, 2}}, {{0, 2, 1}}});
    CHECK(blind.own[0] == 0.5);
    CHECK(blind.other[1] == 0.5);
    // Soft mask (1, 0, 0.1) for (0, 1, 2): d_01 = 0.01 + 0.1·25 = 2.51, d_02 = 1 + 0.1·16 = 2.6: right;
    // with (1, 0, 0.2): 5.01 vs 4.2: wrong.
    CHECK(eval::triplet_accuracy(codes, {{1, 0, 0.1}}, {{{0, 1, 2}}}).own[0] == 1.0);
    CHECK(eval::triplet_accuracy(codes, {{1, 0, 0.2}}, {{{0, 1, 2}}}).own[0] == 0.0);
    const auto single = eval::triplet_accuracy(codes, {{1, 0, 0}}, {{{0, 1, 2}}});
    CHECK(std::isnan(single.other[0]));
    // The other subspace sums the other queries' masks: query 0 under dims 1 and 2 together.
    const auto three = eval::triplet_accuracy(codes, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {{{2, 3, 1}}, {}, {}});
    // (2, 3, 1) under dims 1 + 2: d_23 = 0.49 + 64 vs d_21 = 0.64 + 81: right.
    CHECK(three.other[0] == 1.0);
    CHECK(std::isnan(three.own[1]));  // no triplets for that query
}

TEST_CASE("triplet_accuracy: from labels, triplets are drawn per column and scored") {
    // 40 codes: factor a = i % 2 in dim 0, factor b = (i / 2) % 5 in dim 1, noise-free; dim 2 random-ish.
    std::vector<double> values;
    std::vector<std::int32_t> labels;
    for (int i = 0; i < 40; ++i) {
        const int a = i % 2, b = (i / 2) % 5;
        values.insert(values.end(), {double(a), double(b) * 2.0, std::sin(7.0 * i)});
        labels.insert(labels.end(), {a, b});
    }
    const auto r = eval::triplet_accuracy(host_points(values, 3), host_labels(labels, 2), masks, 300, 4);
    CHECK(r.own == std::vector<double>{1.0, 1.0});
    CHECK(r.triplets == std::vector<std::int64_t>{300, 300});
    // a and b are independent over the 40 codes: the other subspace is near chance for a.
    CHECK(r.other[0] > 0.3);
    CHECK(r.other[0] < 0.7);
    const auto again = eval::triplet_accuracy(host_points(values, 3), host_labels(labels, 2), masks, 300, 4);
    CHECK(again.other == r.other);
}

TEST_CASE("triplet_accuracy: shapes that do not match are refused with shape_error naming them") {
    const host_points codes(flat, 3);
    CHECK_THROWS_WITH_AS(eval::triplet_accuracy(codes, {{1, 0}}, {{}}), doctest::Contains("mask 0 has 2 values"),
                         shape_error);
    CHECK_THROWS_WITH_AS(eval::triplet_accuracy(codes, masks, {{}}), doctest::Contains("1 triplet lists for 2"),
                         shape_error);
    CHECK_THROWS_WITH_AS(eval::triplet_accuracy(codes, masks, {{{0, 1, 4}}, {}}), doctest::Contains("outside the 4 codes"),
                         shape_error);
    CHECK_THROWS_AS(eval::triplet_accuracy(codes, {}, {}), shape_error);
    const std::vector<std::int32_t> labels{0, 0, 1, 1, 0, 1, 0, 1};
    CHECK_THROWS_WITH_AS(eval::triplet_accuracy(codes, host_labels(labels, 1), masks, 10),
                         doctest::Contains("label rows"), shape_error);
    CHECK_THROWS_WITH_AS(eval::triplet_accuracy(codes, host_labels(std::vector<std::int32_t>{0, 0, 1, 1}, 1), masks, 10),
                         doctest::Contains("1 columns for 2"), shape_error);
}
