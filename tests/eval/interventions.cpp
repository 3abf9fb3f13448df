// Seed 002's intervention and swap measures against values worked out by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "latent/eval/interventions.hpp"

using namespace latent;

TEST_CASE("interventions: the confusion matrix averages absolute log-probability changes per label") {
    // Two inputs, two labels. Intervening on label 0 moves label 0 by 1 and 3 (mean 2) and label 1
    // by 0.5 and 0 (mean 0.25); intervening on label 1 moves only label 1, by 2 and 2.
    const std::vector<double> base{-1, -2, -0.5, -1};
    const std::vector<std::vector<double>> moved{{-2, -2.5, -3.5, -1}, {-1, -4, -0.5, -3}};
    const auto c = eval::intervention_confusion(base, moved, 2, 2);
    CHECK(c(0, 0) == doctest::Approx(2.0));
    CHECK(c(0, 1) == doctest::Approx(0.25));
    CHECK(c(1, 0) == doctest::Approx(0.0));
    CHECK(c(1, 1) == doctest::Approx(2.0));
    // [[2, 0.25], [0, 2]]: singular values from λ of CᵀC = [[4, 0.5], [0.5, 4.0625]].
    const double tr = 8.0625, det = 4 * 4.0625 - 0.25;
    const double l1 = tr / 2 + std::sqrt(tr * tr / 4 - det), l2 = tr / 2 - std::sqrt(tr * tr / 4 - det);
    CHECK(eval::condition_number(c) == doctest::Approx(std::sqrt(l1 / l2)));
    CHECK(std::isinf(eval::condition_number(eval::matrix{2, 2, {1, 1, 1, 1}})));
    CHECK_THROWS_AS(eval::intervention_confusion(base, {moved[0]}, 2, 2), config_error);
}

TEST_CASE("interventions: the swap measure compares log p(y_a) before and after the swap") {
    // One swap, labels of a = (1, 0); log p(y1 = 1) = log 0.5, log p(y2 = 1) = log 0.2 before,
    // log 0.25 and log 0.6 after.
    const std::vector<double> before{std::log(0.5), std::log(0.2)}, after{std::log(0.25), std::log(0.6)};
    const double expected = std::abs((std::log(0.25) + std::log(0.4)) - (std::log(0.5) + std::log(0.8)));
    CHECK(eval::swap_logprob_difference(before, after, {1, 0}, 1, 2) == doctest::Approx(expected));
    CHECK(eval::swap_logprob_difference(before, before, {1, 0}, 1, 2) == 0.0);
    CHECK_THROWS_AS(eval::swap_logprob_difference(before, after, {1}, 1, 2), config_error);
}
