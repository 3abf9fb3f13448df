#include <doctest/doctest.h>

#include <latent/eval/identity_transfer.hpp>

#include <vector>

using namespace latent;

TEST_CASE("identity_transfer: the three errors of two hand-made pairs") {
    // two pairs of 1×2×2 images
    // pair 0: original (0,0,0,0), changed (1,1,0,0), target (1,1,1,1):
    //   target-changed (0+0+1+1)/4 = 0.5, original-changed (1+1+0+0)/4 = 0.5, target-original 4/4 = 1
    // pair 1: original (1,0,1,0), changed (1,2,1,0), target (0,0,0,0):
    //   target-changed (1+4+1+0)/4 = 1.5, original-changed (0+4+0+0)/4 = 1, target-original (1+0+1+0)/4 = 0.5
    const auto original = tensor<float>::from_host({2, 1, 2, 2}, {0, 0, 0, 0, 1, 0, 1, 0});
    const auto changed = tensor<float>::from_host({2, 1, 2, 2}, {1, 1, 0, 0, 1, 2, 1, 0});
    const auto target = tensor<float>::from_host({2, 1, 2, 2}, {1, 1, 1, 1, 0, 0, 0, 0});
    const auto r = eval::identity_transfer_mse(original, changed, target);
    CHECK(r.pairs == 2);
    CHECK(r.target_changed == doctest::Approx((0.5 + 1.5) / 2));
    CHECK(r.original_changed == doctest::Approx((0.5 + 1.0) / 2));
    CHECK(r.target_original == doctest::Approx((1.0 + 0.5) / 2));
}

TEST_CASE("identity_transfer: a perfect switch and a no-op switch") {
    const std::vector<double> original{0, 0.5, 1, 0.25, 0.75, 0}, target{1, 0.5, 0, 0.25, 0.25, 1};
    // changed = target: only target-original is left, and it equals original-changed
    const auto perfect = eval::identity_transfer_mse({original, 3}, {target, 3}, {target, 3});
    CHECK(perfect.target_changed == 0.0);
    CHECK(perfect.original_changed == doctest::Approx(perfect.target_original));
    // changed = original: the switch did nothing
    const auto noop = eval::identity_transfer_mse({original, 3}, {original, 3}, {target, 3});
    CHECK(noop.original_changed == 0.0);
    CHECK(noop.target_changed == doctest::Approx(noop.target_original));
    // by hand: pair 0 (1 + 0 + 1)/3, pair 1 (0 + 0.25 + 1)/3; mean = (2/3 + 1.25/3)/2
    CHECK(noop.target_original == doctest::Approx((2.0 / 3 + 1.25 / 3) / 2));
}

TEST_CASE("identity_transfer: sets of different shapes are refused") {
    const auto a = tensor<float>::zeros({2, 4}), b = tensor<float>::zeros({3, 4}), c = tensor<float>::zeros({2, 5});
    CHECK_THROWS_AS(eval::identity_transfer_mse(a, b, a), shape_error);
    CHECK_THROWS_AS(eval::identity_transfer_mse(a, a, c), shape_error);
}
