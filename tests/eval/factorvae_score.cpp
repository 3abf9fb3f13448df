#include <doctest/doctest.h>

#include <latent/core/rng.hpp>
#include <latent/eval/factorvae_score.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace latent;
using doctest::Contains;

namespace {
std::int64_t total(const std::vector<std::vector<std::int64_t>>& m) {
    std::int64_t s = 0;
    for (const auto& row : m)
        for (const std::int64_t v : row) s += v;
    return s;
}
}  // namespace

TEST_CASE("factorvae_score: majority vote and its accuracy, worked by hand") {
    // training votes: coordinate 0 → factor 0 three times, factor 1 once; coordinate 1 → factor 1
    // twice; coordinate 2 tied, one vote each for factors 1 and 2; coordinate 3 none
    const std::vector<eval::factorvae_vote> train{{0, 0}, {0, 1}, {0, 0}, {1, 1}, {0, 0},
                                                  {1, 1}, {2, 2}, {2, 1}};
    const auto m = eval::factorvae_vote_matrix(train, 4, 3);
    const std::vector<std::vector<std::int64_t>> expected{{3, 1, 0}, {0, 2, 0}, {0, 1, 1}, {0, 0, 0}};
    CHECK(m == expected);
    const std::vector<std::int64_t> predict{0, 1, 1, -1};  // the tie goes to the lower factor; no votes, no factor
    CHECK(eval::majority_vote_classifier(m) == predict);
    // training accuracy: (3 + 2 + 1) / 8
    CHECK(eval::majority_vote_accuracy(m, train) == doctest::Approx(6.0 / 8.0));
    // (0,0) right, (0,1) wrong, (1,1) right, (3,0) wrong (coordinate 3 predicts nothing),
    // (2,1) right, (2,2) wrong, (1,0) wrong: 3 / 7
    const std::vector<eval::factorvae_vote> held_out{{0, 0}, {0, 1}, {1, 1}, {3, 0}, {2, 1}, {2, 2}, {1, 0}};
    CHECK(eval::majority_vote_accuracy(m, held_out) == doctest::Approx(3.0 / 7.0));
    CHECK(eval::majority_vote_accuracy(m, {}) == 0.0);
    CHECK_THROWS_WITH_AS(eval::majority_vote_accuracy(m, {{4, 0}}), Contains("majority_vote_accuracy"), shape_error);
    CHECK_THROWS_WITH_AS(eval::factorvae_vote_matrix({{0, 3}}, 4, 3), Contains("factorvae_vote_matrix"), shape_error);
}

TEST_CASE("factorvae_score: four examples where every vote is forced") {
    // factors (a, b) over {0,1}²; fixing a leaves two examples differing only in b, so a coordinate
    // equal to a has variance 0 there and one equal to b does not: every vote is (coordinate of k, k)
    const std::vector<std::int32_t> factors{0, 0, 0, 1, 1, 0, 1, 1};
    const std::vector<double> codes{0, 0, 0, 1, 1, 0, 1, 1};    // (a, b)
    const std::vector<double> swapped{0, 0, 1, 0, 0, 1, 1, 1};  // (b, a)
    const auto o = eval::factorvae_options{}.train_votes(300).eval_votes(200).seed(5);
    const auto r = eval::factorvae_score({codes, 2}, {factors, 2}, o);
    CHECK(r.score == 1.0);
    CHECK(r.train_accuracy == 1.0);
    CHECK(r.votes[0][1] == 0);
    CHECK(r.votes[1][0] == 0);
    CHECK(r.votes[0][0] + r.votes[1][1] == 300);
    CHECK(r.votes[0][0] > 100);  // factors are picked uniformly: 150 ± 8.7 each
    CHECK(r.votes[1][1] > 100);
    CHECK(r.classifier == std::vector<std::int64_t>{0, 1});
    const auto s = eval::factorvae_score({swapped, 2}, {factors, 2}, o);
    CHECK(s.score == 1.0);
    CHECK(s.classifier == std::vector<std::int64_t>{1, 0});
    CHECK(s.votes[0][1] == r.votes[1][1]);  // same seed, same draws of k
}

TEST_CASE("factorvae_score: a collapsed coordinate takes no vote unless the threshold is 0") {
    // coordinate 0 = 1e-4·a and coordinate 1 = a tie at variance 0 when a is fixed; the lower index
    // wins ties, so coordinate 0 takes a's votes, unless it is pruned as collapsed
    // (std 5e-5 < 0.01 × the largest std 0.5). Coordinate 2 (constant) never takes a vote.
    const std::vector<std::int32_t> factors{0, 0, 0, 1, 1, 0, 1, 1};
    std::vector<double> c;  // rows (1e-4·a, a, b, 7)
    for (const auto& [a, b] : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}})
        c.insert(c.end(), {1e-4 * a, 1.0 * a, 1.0 * b, 7.0});
    const auto o = eval::factorvae_options{}.train_votes(200).eval_votes(100).seed(1);
    const auto pruned = eval::factorvae_score({c, 4}, {factors, 2}, o);
    CHECK(pruned.active == std::vector<bool>{false, true, true, false});
    CHECK(pruned.scale[0] == doctest::Approx(5e-5));
    CHECK(pruned.scale[3] == 0.0);
    CHECK(pruned.votes[0][0] == 0);
    CHECK(pruned.votes[1][0] + pruned.votes[2][1] == 200);
    CHECK(pruned.score == 1.0);
    const auto kept = eval::factorvae_score({c, 4}, {factors, 2}, eval::factorvae_options(o).collapse_threshold(0));
    CHECK(kept.active == std::vector<bool>{true, true, true, false});
    CHECK(kept.votes[1][0] == 0);
    CHECK(kept.votes[0][0] == pruned.votes[1][0]);  // same draws, a's votes moved to coordinate 0
    CHECK(kept.score == 1.0);
    // codes that are all constant: nothing to vote for
    const std::vector<double> flat(8, 3.0);
    const auto none = eval::factorvae_score({flat, 2}, {factors, 2}, o);
    CHECK(none.score == 0.0);
    CHECK(total(none.votes) == 0);
    CHECK(none.active == std::vector<bool>{false, false});
}

TEST_CASE("factorvae_score: one coordinate per factor scores 1, codes independent of the factors about 1/K") {
    constexpr std::int64_t n = 4000;
    generator gen(11);
    const philox_range r = gen.take(static_cast<std::uint64_t>(8 * n));
    std::vector<std::int32_t> factors;  // [n, 3]: 5, 4 and 6 values
    std::vector<double> aligned, noise;  // [n, 4] and [n, 5]
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(8 * i);
        const auto a = static_cast<std::int32_t>(r.uniform(k) * 5), b = static_cast<std::int32_t>(r.uniform(k + 1) * 4),
                   c = static_cast<std::int32_t>(r.uniform(k + 2) * 6);
        factors.insert(factors.end(), {a, b, c});
        // coordinate 0 is factor c scaled, 1 is noise, 2 is factor a, 3 is factor b scaled; each jittered
        aligned.insert(aligned.end(), {0.7 * c + 0.01 * r.normal(k + 3), r.normal(k + 4), a + 0.01 * r.normal(k + 5),
                                       3.0 * b + 0.01 * r.normal(k + 6)});
        for (std::uint64_t j = 0; j < 5; ++j) noise.push_back(r.normal(k + 3 + j));
    }
    const auto good = eval::factorvae_score({aligned, 4}, {factors, 3});
    MESSAGE("aligned FactorVAE score ", good.score);
    CHECK(good.score == 1.0);
    CHECK(good.train_accuracy == 1.0);
    CHECK(good.classifier == std::vector<std::int64_t>{2, -1, 0, 1});
    CHECK(total(good.votes) == 5000);
    // each factor is picked uniformly: 5000/3 votes each, ± 33
    for (std::size_t k = 0; k < 3; ++k) {
        std::int64_t s = 0;
        for (const auto& row : good.votes) s += row[k];
        CHECK(std::abs(static_cast<double>(s) - 5000.0 / 3) < 150);
    }

    const auto bad = eval::factorvae_score({noise, 5}, {factors, 3});
    MESSAGE("independent FactorVAE score ", bad.score, ", train accuracy ", bad.train_accuracy);
    CHECK(std::abs(bad.score - 1.0 / 3) < 0.05);  // standard error 0.0094
    // the training accuracy is the share of votes each coordinate's majority holds
    std::int64_t majority = 0;
    for (const auto& row : bad.votes) majority += *std::max_element(row.begin(), row.end());
    CHECK(bad.train_accuracy == doctest::Approx(static_cast<double>(majority) / 5000.0));
    CHECK(bad.train_accuracy < 0.45);

    // deterministic given the seed, and the seed matters
    const auto again = eval::factorvae_score({noise, 5}, {factors, 3});
    CHECK(again.score == bad.score);
    CHECK(again.votes == bad.votes);
    const auto other = eval::factorvae_score({noise, 5}, {factors, 3}, eval::factorvae_options{}.seed(1));
    CHECK(other.votes != bad.votes);
}

TEST_CASE("factorvae_score: variances are compared after dividing by each coordinate's deviation") {
    // coordinate 0 is small noise (std 0.1, not collapsed: above 0.01 × 1.4), coordinates 1 and 2
    // are factors a and b (std √2) with noise 0.3. Fixing a leaves coordinate 1 a variance of 0.09,
    // more than coordinate 0's 0.01, so raw variances would give every vote to coordinate 0; divided
    // by the deviations over the set they are 0.09 / 2.09 = 0.043 against 1.
    constexpr std::int64_t n = 2000;
    generator gen(4);
    const philox_range r = gen.take(static_cast<std::uint64_t>(5 * n));
    std::vector<std::int32_t> factors;
    std::vector<double> codes;
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(5 * i);
        const auto a = static_cast<std::int32_t>(r.uniform(k) * 5), b = static_cast<std::int32_t>(r.uniform(k + 1) * 5);
        factors.insert(factors.end(), {a, b});
        codes.insert(codes.end(), {0.1 * r.normal(k + 2), a + 0.3 * r.normal(k + 3), b + 0.3 * r.normal(k + 4)});
    }
    const auto s = eval::factorvae_score({codes, 3}, {factors, 2});
    CHECK(s.active == std::vector<bool>{true, true, true});
    CHECK(s.classifier == std::vector<std::int64_t>{-1, 0, 1});
    CHECK(s.score == 1.0);
}

TEST_CASE("factorvae_score: constant factors are skipped, and bad inputs are refused") {
    // factor 1 is constant and factor 2 all distinct: every vote fixes factor 0
    const std::vector<std::int32_t> factors{0, 5, 0, 0, 5, 1, 1, 5, 2, 1, 5, 3};
    const std::vector<double> codes{0, 0.3, 0, 0.1, 1, 0.7, 1, 0.2};  // (factor 0, noise)
    const auto r = eval::factorvae_score({codes, 2}, {factors, 3}, eval::factorvae_options{}.train_votes(50));
    CHECK(r.votes[0][0] == 50);
    CHECK(r.score == 1.0);

    const std::vector<std::int32_t> constant{4, 4, 4, 4}, distinct{0, 1, 2, 3}, short_f{0, 1, 0};
    const std::vector<double> four{0, 1, 2, 3};
    CHECK_THROWS_WITH_AS(eval::factorvae_score({four, 1}, constant), Contains("factorvae_score"), config_error);
    CHECK_THROWS_WITH_AS(eval::factorvae_score({four, 1}, distinct), Contains("factorvae_score"), config_error);
    CHECK_THROWS_WITH_AS(eval::factorvae_score({four, 1}, short_f), Contains("factorvae_score: 4 codes but 3"),
                         shape_error);
    eval::host_labels no_factors;
    no_factors.n = 4;
    no_factors.width = 0;
    CHECK_THROWS_WITH_AS(eval::factorvae_score({four, 1}, no_factors), Contains("factorvae_score"), shape_error);
    const std::vector<double> one{0};
    const std::vector<std::int32_t> one_f{0};
    CHECK_THROWS_WITH_AS(eval::factorvae_score({one, 1}, one_f), Contains("factorvae_score"), shape_error);
    CHECK_THROWS_WITH_AS(eval::factorvae_options{}.batch(1), Contains("factorvae_options::batch"), config_error);
    CHECK_THROWS_AS(eval::factorvae_options{}.train_votes(0), config_error);
    CHECK_THROWS_AS(eval::factorvae_options{}.eval_votes(0), config_error);
    CHECK_THROWS_AS(eval::factorvae_options{}.collapse_threshold(-0.1), config_error);
    CHECK_THROWS_AS(eval::factorvae_options{}.collapse_threshold(1), config_error);
}
