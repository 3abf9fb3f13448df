// Shape ops, softmax, losses and row lookup on the device backend, forward and
// backward, against the cpu backend.
#include "compare.hpp"

#include <span>

using namespace latent;
using device_test::both;
using device_test::check_equal;
using device_test::check_op;
using device_test::min_launches;
using device_test::random_labels;
using device_test::random_tensor;

TEST_CASE("device shape: concat_features and slice_features match the cpu backend") {
    const auto a = random_tensor({3, 2}, 1), b = random_tensor({3, 4}, 2), c = random_tensor({3, 2, 2}, 3);
    check_op("concat_features", [](const auto& v) { return concat_features({v[0], v[1], v[2]}); }, {a, b, c});
    check_op("slice_features", [](const auto& v) { return slice_features(v[0], 1, 3); }, {b});
    check_op("slice_features of a rank-3 tensor", [](const auto& v) { return slice_features(v[0], 0, 3); }, {c});

    // More parts than the tape takes at once: joined in groups, then the groups joined.
    std::vector<tensor<float>> parts;
    for (std::uint32_t k = 0; k < 11; ++k) parts.push_back(random_tensor({2, 1 + k % 3}, 10 + k));
    check_op("concat_features of 11 parts",
             [](const auto& v) { return concat_features(std::span<const std::decay_t<decltype(v[0])>>(v)); }, parts);
}

TEST_CASE("device shape: reshape and flatten are views on the device too") {
    const auto x = random_tensor({2, 3, 4}, 4);
    // A view launches nothing; its gradient is the incoming one, reshaped.
    check_op("reshape", [](const auto& v) { return reshape(v[0], shape{4, 6}); }, {x}, min_launches{0, 0});
    check_op("flatten", [](const auto& v) { return flatten(v[0]); }, {x}, min_launches{0, 0});
    check_op("reshape then exp", [](const auto& v) { return exp(reshape(v[0], shape{6, 4})); }, {x});
}

TEST_CASE("device shape: softmax_rows and log_softmax_rows match the cpu backend") {
    check_op("softmax_rows", [](const auto& v) { return softmax_rows(v[0]); }, {random_tensor({4, 5}, 5, -4, 4)});
    check_op("log_softmax_rows", [](const auto& v) { return log_softmax_rows(v[0]); },
             {random_tensor({4, 5}, 6, -4, 4)});
    check_op("log_softmax_rows, large", [](const auto& v) { return log_softmax_rows(v[0]); },
             {random_tensor({3, 4}, 7, 90, 110)});
}

TEST_CASE("device shape: gather_cols and one_hot match the cpu backend") {
    both<std::int32_t> idx(random_labels(5, 4, 8));
    check_op("gather_cols",
             [&](const auto& v) { return gather_cols(v[0], idx.on<device_test::backend_of<decltype(v)>>()); },
             {random_tensor({5, 4}, 9)});
    const std::uint64_t l0 = device_test::launches();
    const tensor<float, device> hot = one_hot<float>(idx.d, 4);
    CHECK(device_test::launches() > l0);
    check_equal(one_hot<float>(idx.c, 4), hot, "one_hot");
}

TEST_CASE("device shape: a bad label is caught on the device and named") {
    both<std::int32_t> idx(tensor<std::int32_t>::from_host({3}, {0, 7, 1}));
    const var<float, device> x(random_tensor({3, 4}, 10).to<device>());
    CHECK_THROWS_WITH_AS(gather_cols(x, idx.d), doctest::Contains("index 7 at row 1"), config_error);
    CHECK_THROWS_AS(one_hot<float>(idx.d, 4), config_error);
    CHECK_THROWS_AS(take_rows(x.value(), idx.d), shape_error);
}

TEST_CASE("device index: index_rows and take_rows match the cpu backend") {
    both<std::int32_t> idx(random_labels(7, 5, 11));  // repeats: the gradient of a row sums its picks
    check_op("index_rows",
             [&](const auto& v) { return index_rows(v[0], idx.on<device_test::backend_of<decltype(v)>>()); },
             {random_tensor({5, 3}, 12)});
    const auto table = random_tensor({5, 2, 2}, 13);
    check_equal(take_rows(table, idx.c), take_rows(table.to<device>(), idx.d), "take_rows");
}

TEST_CASE("device loss: binary cross-entropy, squared error and mse match the cpu backend") {
    const auto logits = random_tensor({4, 6}, 20, -30, 30), targets = random_tensor({4, 6}, 21, 0, 1);
    check_op("binary_cross_entropy_with_logits",
             [](const auto& v) { return binary_cross_entropy_with_logits(v[0], v[1]); }, {logits, targets});
    const auto a = random_tensor({3, 5}, 22), b = random_tensor({3, 5}, 23);
    check_op("squared_error", [](const auto& v) { return squared_error(v[0], v[1]); }, {a, b});
    check_op("mse", [](const auto& v) { return mse(v[0], v[1]); }, {a, b});
}

TEST_CASE("device loss: cross-entropy with labels and with probabilities matches the cpu backend") {
    both<std::int32_t> labels(random_labels(6, 5, 30));
    check_op("cross_entropy_with_logits (labels)",
             [&](const auto& v) {
                 return cross_entropy_with_logits(v[0], labels.on<device_test::backend_of<decltype(v)>>());
             },
             {random_tensor({6, 5}, 31, -5, 5)});
    check_op("cross_entropy_with_logits (probabilities)",
             [](const auto& v) { return cross_entropy_with_logits(v[0], v[1]); },
             {random_tensor({6, 5}, 32, -5, 5), random_tensor({6, 5}, 33, 0, 1)});
}
