// The ops layers are made of, on the device backend, forward and backward,
// against the cpu backend: matrix products, convolutions, batch normalisation
// and dropout.
#include "compare.hpp"

using namespace latent;
using device_test::both;
using device_test::check_close;
using device_test::check_op;
using device_test::random_tensor;

namespace {
/// Sets conv_scratch_bytes for a scope (1 byte: one image per chunk; the default: the whole small batch at once).
struct scratch_bytes {
    std::size_t saved = conv_scratch_bytes;
    explicit scratch_bytes(std::size_t bytes) { conv_scratch_bytes = bytes; }
    ~scratch_bytes() { conv_scratch_bytes = saved; }
};
}  // namespace

TEST_CASE("device matmul: matmul and linear match the cpu backend") {
    check_op("matmul", [](const auto& v) { return matmul(v[0], v[1]); },
             {random_tensor({3, 4}, 1), random_tensor({4, 5}, 2)});
    const auto x = random_tensor({6, 4}, 3), w = random_tensor({5, 4}, 4), b = random_tensor({5}, 5);
    check_op("linear", [](const auto& v) { return linear(v[0], v[1], v[2]); }, {x, w, b});
    check_op("linear without bias", [](const auto& v) { return linear(v[0], v[1]); }, {x, w});
    check_op("linear of a rank-3 input", [](const auto& v) { return linear(v[0], v[1], v[2]); },
             {random_tensor({6, 2, 2}, 6), w, b});
}

TEST_CASE("device conv: conv2d matches the cpu backend, batched and image by image") {
    const auto x = random_tensor({3, 2, 7, 6}, 10), w = random_tensor({4, 2, 3, 3}, 11), b = random_tensor({4}, 12);
    for (std::size_t bytes : {std::size_t{1} << 20, std::size_t{1}}) {
        scratch_bytes scope(bytes);
        CAPTURE(bytes);
        check_op("conv2d s1 p0", [](const auto& v) { return conv2d(v[0], v[1], v[2]); }, {x, w, b});
        check_op("conv2d s2 p1", [](const auto& v) { return conv2d(v[0], v[1], v[2], {.stride = 2, .padding = 1}); },
                 {x, w, b});
        check_op("conv2d s3 p2 without bias",
                 [](const auto& v) { return conv2d(v[0], v[1], {.stride = 3, .padding = 2}); }, {x, w});
    }
}

TEST_CASE("device conv: conv_transpose2d matches the cpu backend, batched and image by image") {
    const auto x = random_tensor({2, 3, 4, 5}, 20), w = random_tensor({3, 2, 4, 4}, 21), b = random_tensor({2}, 22);
    for (std::size_t bytes : {std::size_t{1} << 20, std::size_t{1}}) {
        scratch_bytes scope(bytes);
        CAPTURE(bytes);
        check_op("conv_transpose2d s1", [](const auto& v) { return conv_transpose2d(v[0], v[1], v[2]); }, {x, w, b});
        check_op("conv_transpose2d s2 p1",
                 [](const auto& v) { return conv_transpose2d(v[0], v[1], v[2], {.stride = 2, .padding = 1}); },
                 {x, w, b});
        check_op("conv_transpose2d s2 p1 op1 without bias",
                 [](const auto& v) {
                     return conv_transpose2d(v[0], v[1], {.stride = 2, .padding = 1, .output_padding = 1});
                 },
                 {x, w});
    }
}

TEST_CASE("device norm: batch_norm in training matches the cpu backend, running statistics included") {
    for (const shape& s : {shape{6, 3}, shape{4, 3, 5, 5}, shape{2, 3, 9, 9}}) {
        CAPTURE(s);
        const auto x = random_tensor(s, 30, -2, 3), gamma = random_tensor({3}, 31, 0.5, 1.5),
                   beta = random_tensor({3}, 32);
        both<float> mean(random_tensor({3}, 33)), var(random_tensor({3}, 34, 0.5, 2));
        check_op("batch_norm train",
                 [&](const auto& v) {
                     using B = device_test::backend_of<decltype(v)>;
                     return batch_norm(v[0], v[1], v[2], mean.on<B>(), var.on<B>(),
                                       batch_norm_options{.training = true, .momentum = 0.3});
                 },
                 {x, gamma, beta});
        check_close(mean.c, mean.d, "running_mean");
        check_close(var.c, var.d, "running_var");
        check_op("batch_norm train without running statistics or affine",
                 [](const auto& v) {
                     using V = std::decay_t<decltype(v[0])>;
                     return batch_norm(v[0], V(), V());
                 },
                 {x});
    }
}

TEST_CASE("device norm: batch_norm in evaluation matches the cpu backend") {
    for (const shape& s : {shape{6, 3}, shape{2, 3, 9, 9}}) {
        CAPTURE(s);
        both<float> mean(random_tensor({3}, 40)), var(random_tensor({3}, 41, 0.5, 2));
        check_op("batch_norm eval",
                 [&](const auto& v) {
                     using B = device_test::backend_of<decltype(v)>;
                     return batch_norm(v[0], v[1], v[2], mean.on<B>(), var.on<B>(),
                                       batch_norm_options{.training = false});
                 },
                 {random_tensor(s, 42), random_tensor({3}, 43, 0.5, 1.5), random_tensor({3}, 44)});
    }
}

TEST_CASE("device random: dropout draws the same mask as the cpu backend") {
    const auto x = random_tensor({8, 16}, 50);
    for (double p : {0.0, 0.3, 1.0}) {
        CAPTURE(p);
        check_op("dropout",
                 [p](const auto& v) {
                     generator gen(7, 1);
                     return dropout(v[0], p, gen, true);
                 },
                 {x}, {.forward = p == 0 ? 0u : 1u, .backward = p == 0 ? 0u : 1u});
    }
}
