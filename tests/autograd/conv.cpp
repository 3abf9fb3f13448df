#include <doctest/doctest.h>

#include <latent/autograd/ops/conv.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {

/// The geometry of one test case, in PyTorch's terms.
struct conv_case {
    std::int64_t N, C, H, W, O, kh, kw;
    int stride, padding, output_padding;
};

std::string describe(const conv_case& k) {
    return "N=" + std::to_string(k.N) + " C=" + std::to_string(k.C) + " H=" + std::to_string(k.H) +
           " W=" + std::to_string(k.W) + " O=" + std::to_string(k.O) + " k=" + std::to_string(k.kh) + "x" +
           std::to_string(k.kw) + " s=" + std::to_string(k.stride) + " p=" + std::to_string(k.padding) +
           " op=" + std::to_string(k.output_padding);
}

/// The definition of conv2d, seven loops deep: y[n,o,i,j] = b[o] + Σ w[o,c,ki,kj]·x[n,c,i·s−p+ki, j·s−p+kj].
std::vector<double> naive_conv2d(const std::vector<double>& x, const std::vector<double>& w,
                                 const std::vector<double>& b, const conv_case& k, std::int64_t Ho,
                                 std::int64_t Wo) {
    std::vector<double> y(static_cast<std::size_t>(k.N * k.O * Ho * Wo));
    for (std::int64_t n = 0; n < k.N; ++n)
        for (std::int64_t o = 0; o < k.O; ++o)
            for (std::int64_t i = 0; i < Ho; ++i)
                for (std::int64_t j = 0; j < Wo; ++j) {
                    double s = b.empty() ? 0.0 : b[o];
                    for (std::int64_t c = 0; c < k.C; ++c)
                        for (std::int64_t ki = 0; ki < k.kh; ++ki)
                            for (std::int64_t kj = 0; kj < k.kw; ++kj) {
                                const std::int64_t yy = i * k.stride - k.padding + ki,
                                                   xx = j * k.stride - k.padding + kj;
                                if (yy < 0 || yy >= k.H || xx < 0 || xx >= k.W) continue;
                                s += w[((o * k.C + c) * k.kh + ki) * k.kw + kj] *
                                     x[((n * k.C + c) * k.H + yy) * k.W + xx];
                            }
                    y[((n * k.O + o) * Ho + i) * Wo + j] = s;
                }
    return y;
}

/// The definition of conv_transpose2d, seven loops deep: each input pixel scatters w[c,o,·,·] times itself onto
/// y[n,o,i·s−p+ki, j·s−p+kj]; w is [C, O, kh, kw].
std::vector<double> naive_conv_transpose2d(const std::vector<double>& x, const std::vector<double>& w,
                                           const std::vector<double>& b, const conv_case& k, std::int64_t Ho,
                                           std::int64_t Wo) {
    std::vector<double> y(static_cast<std::size_t>(k.N * k.O * Ho * Wo));
    for (std::int64_t n = 0; n < k.N; ++n)
        for (std::int64_t o = 0; o < k.O; ++o)
            for (std::int64_t i = 0; i < Ho * Wo; ++i) y[(n * k.O + o) * Ho * Wo + i] = b.empty() ? 0.0 : b[o];
    for (std::int64_t n = 0; n < k.N; ++n)
        for (std::int64_t c = 0; c < k.C; ++c)
            for (std::int64_t i = 0; i < k.H; ++i)
                for (std::int64_t j = 0; j < k.W; ++j)
                    for (std::int64_t o = 0; o < k.O; ++o)
                        for (std::int64_t ki = 0; ki < k.kh; ++ki)
                            for (std::int64_t kj = 0; kj < k.kw; ++kj) {
                                const std::int64_t yy = i * k.stride - k.padding + ki,
                                                   xx = j * k.stride - k.padding + kj;
                                if (yy < 0 || yy >= Ho || xx < 0 || xx >= Wo) continue;
                                y[((n * k.O + o) * Ho + yy) * Wo + xx] +=
                                    x[((n * k.C + c) * k.H + i) * k.W + j] *
                                    w[((c * k.O + o) * k.kh + ki) * k.kw + kj];
                            }
    return y;
}

/// Sets conv_scratch_bytes for one scope: small values force chunks of one or a few images.
class scratch_limit {
public:
    explicit scratch_limit(std::size_t bytes) : saved_(conv_scratch_bytes) { conv_scratch_bytes = bytes; }
    ~scratch_limit() { conv_scratch_bytes = saved_; }
    scratch_limit(const scratch_limit&) = delete;
    scratch_limit& operator=(const scratch_limit&) = delete;

private:
    std::size_t saved_;
};

/// Scratch limits that give chunks of one image, of two images (a remainder when N is odd), and the whole batch.
std::vector<std::size_t> scratch_limits(std::int64_t rows, std::int64_t positions) {
    const auto per_image = static_cast<std::size_t>(rows * positions) * sizeof(double);
    return {1, 2 * per_image, std::size_t{1} << 30};
}

const std::vector<conv_case> conv2d_cases = {
    {2, 3, 7, 5, 4, 3, 2, 1, 0, 0},  // non-square kernel and input, no padding
    {3, 2, 8, 8, 3, 4, 4, 2, 1, 0},  // the VAE's k4 s2 p1
    {3, 2, 8, 9, 2, 3, 5, 3, 2, 0},  // stride 3, padding 2, output width not a multiple
    {2, 3, 4, 6, 2, 1, 1, 1, 0, 0},  // 1×1 kernel
    {1, 2, 5, 4, 3, 5, 4, 1, 0, 0},  // kernel as large as the input: a 1×1 output
    {3, 1, 3, 3, 2, 2, 2, 1, 3, 0},  // padding wider than the kernel: all-zero border outputs
    {5, 2, 6, 5, 3, 3, 3, 2, 1, 0},  // odd batch for chunking with a remainder
};

const std::vector<conv_case> transpose_cases = {
    {2, 3, 4, 3, 2, 3, 2, 1, 0, 0},  // stride 1, non-square kernel
    {3, 2, 4, 4, 3, 4, 4, 2, 1, 0},  // the VAE decoder's k4 s2 p1
    {2, 2, 3, 4, 2, 3, 3, 2, 1, 1},  // output_padding 1
    {3, 2, 3, 2, 2, 3, 2, 3, 1, 2},  // stride 3, output_padding 2, non-square everything
    {2, 1, 2, 2, 3, 2, 2, 2, 0, 0},  // stride 2 with no overlap between kernel positions
    {5, 2, 3, 3, 2, 4, 3, 2, 2, 1},  // odd batch, heavy padding
};

std::int64_t conv_out(std::int64_t in, std::int64_t k, const conv_case& c) {
    return (in + 2 * c.padding - k) / c.stride + 1;
}
std::int64_t transpose_out(std::int64_t in, std::int64_t k, const conv_case& c) {
    return (in - 1) * c.stride - 2 * c.padding + k + c.output_padding;
}

/// Like test_support::check_close, but relative to 1 + the larger magnitude (doctest scale 1).
void check_near(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i);
        CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol).scale(1.0));
    }
}

}  // namespace

TEST_CASE("conv2d: forward against the seven-loop definition") {
    std::uint32_t seed = 1;
    for (const conv_case& k : conv2d_cases) {
        const auto x = uniform_tensor({k.N, k.C, k.H, k.W}, seed++), w = uniform_tensor({k.O, k.C, k.kh, k.kw}, seed++),
                   b = uniform_tensor({k.O}, seed++);
        const std::int64_t Ho = conv_out(k.H, k.kh, k), Wo = conv_out(k.W, k.kw, k);
        const conv2d_options opt{.stride = k.stride, .padding = k.padding};
        for (std::size_t limit : scratch_limits(k.C * k.kh * k.kw, Ho * Wo)) {
            scratch_limit scope(limit);
            INFO(describe(k), ", scratch ", limit);
            const V y = conv2d(V(x), V(w), V(b), opt);
            CHECK(y.shape() == latent::shape{k.N, k.O, Ho, Wo});
            check_near(y.value().to_vector(), naive_conv2d(x.to_vector(), w.to_vector(), b.to_vector(), k, Ho, Wo));
            check_near(conv2d(V(x), V(w), opt).value().to_vector(),
                        naive_conv2d(x.to_vector(), w.to_vector(), {}, k, Ho, Wo));
        }
    }
}

TEST_CASE("conv_transpose2d: forward against the seven-loop definition") {
    std::uint32_t seed = 100;
    for (const conv_case& k : transpose_cases) {
        const auto x = uniform_tensor({k.N, k.C, k.H, k.W}, seed++), w = uniform_tensor({k.C, k.O, k.kh, k.kw}, seed++),
                   b = uniform_tensor({k.O}, seed++);
        const std::int64_t Ho = transpose_out(k.H, k.kh, k), Wo = transpose_out(k.W, k.kw, k);
        const conv_transpose2d_options opt{.stride = k.stride, .padding = k.padding, .output_padding = k.output_padding};
        for (std::size_t limit : scratch_limits(k.O * k.kh * k.kw, k.H * k.W)) {
            scratch_limit scope(limit);
            INFO(describe(k), ", scratch ", limit);
            const V y = conv_transpose2d(V(x), V(w), V(b), opt);
            CHECK(y.shape() == latent::shape{k.N, k.O, Ho, Wo});
            check_near(y.value().to_vector(),
                        naive_conv_transpose2d(x.to_vector(), w.to_vector(), b.to_vector(), k, Ho, Wo));
            check_near(conv_transpose2d(V(x), V(w), opt).value().to_vector(),
                        naive_conv_transpose2d(x.to_vector(), w.to_vector(), {}, k, Ho, Wo));
        }
    }
}

TEST_CASE("conv2d: float matches the double definition") {
    const conv_case k{4, 3, 9, 7, 5, 4, 3, 2, 1, 0};
    const auto x = uniform_tensor({k.N, k.C, k.H, k.W}, 7), w = uniform_tensor({k.O, k.C, k.kh, k.kw}, 8),
               b = uniform_tensor({k.O}, 9);
    const std::int64_t Ho = conv_out(k.H, k.kh, k), Wo = conv_out(k.W, k.kw, k);
    const auto y = conv2d(var<float>(x.as<float>()), var<float>(w.as<float>()), var<float>(b.as<float>()),
                          {.stride = 2, .padding = 1})
                       .value()
                       .as<double>()
                       .to_vector();
    check_near(y, naive_conv2d(x.to_vector(), w.to_vector(), b.to_vector(), k, Ho, Wo), 1e-5);
}

TEST_CASE("conv2d: gradients for input, weight and bias") {
    std::uint32_t seed = 200;
    for (const conv_case& k : conv2d_cases) {
        const std::int64_t Ho = conv_out(k.H, k.kh, k), Wo = conv_out(k.W, k.kw, k);
        const conv2d_options opt{.stride = k.stride, .padding = k.padding};
        const std::vector<tensor<double>> inputs = {uniform_tensor({k.N, k.C, k.H, k.W}, seed),
                                                    uniform_tensor({k.O, k.C, k.kh, k.kw}, seed + 1),
                                                    uniform_tensor({k.O}, seed + 2)};
        seed += 3;
        for (std::size_t limit : scratch_limits(k.C * k.kh * k.kw, Ho * Wo)) {
            scratch_limit scope(limit);
            INFO(describe(k), ", scratch ", limit);
            auto r = gradcheck<double, cpu>([&](const Vs& v) { return conv2d(v[0], v[1], v[2], opt); }, inputs);
            INFO(r.report);
            CHECK(r.ok);
        }
    }
}

TEST_CASE("conv_transpose2d: gradients for input, weight and bias") {
    std::uint32_t seed = 300;
    for (const conv_case& k : transpose_cases) {
        const conv_transpose2d_options opt{.stride = k.stride, .padding = k.padding, .output_padding = k.output_padding};
        const std::vector<tensor<double>> inputs = {uniform_tensor({k.N, k.C, k.H, k.W}, seed),
                                                    uniform_tensor({k.C, k.O, k.kh, k.kw}, seed + 1),
                                                    uniform_tensor({k.O}, seed + 2)};
        seed += 3;
        for (std::size_t limit : scratch_limits(k.O * k.kh * k.kw, k.H * k.W)) {
            scratch_limit scope(limit);
            INFO(describe(k), ", scratch ", limit);
            auto r = gradcheck<double, cpu>([&](const Vs& v) { return conv_transpose2d(v[0], v[1], v[2], opt); },
                                            inputs);
            INFO(r.report);
            CHECK(r.ok);
        }
    }
}

TEST_CASE("conv: gradients when only some inputs need them") {
    // Backward skips work and drops saved tensors for inputs without a gradient; the rest must stay right.
    const auto x = uniform_tensor({2, 2, 5, 5}, 1), w = uniform_tensor({3, 2, 3, 3}, 2);
    const conv2d_options opt{.stride = 2, .padding = 1};
    auto r = gradcheck<double, cpu>([&](const Vs& v) { return conv2d(v[0], V(w), opt); }, {x});
    INFO(r.report);
    CHECK(r.ok);
    r = gradcheck<double, cpu>([&](const Vs& v) { return conv2d(V(x), v[0], opt); }, {w});
    INFO(r.report);
    CHECK(r.ok);
    const auto wt = uniform_tensor({2, 3, 3, 3}, 3);
    const conv_transpose2d_options topt{.stride = 2, .padding = 1, .output_padding = 1};
    r = gradcheck<double, cpu>([&](const Vs& v) { return conv_transpose2d(v[0], V(wt), topt); }, {x});
    INFO(r.report);
    CHECK(r.ok);
    r = gradcheck<double, cpu>([&](const Vs& v) { return conv_transpose2d(V(x), v[0], topt); }, {wt});
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("conv_transpose2d: is the adjoint of conv2d with the same weight") {
    // <conv2d(u, w), x> = <u, conv_transpose2d(x, w)> for u [N, Cu, Hu, Wu], w [Cx, Cu, kh, kw], x [N, Cx, H, W];
    // output_padding recovers Hu and Wu from H and W.
    struct adjoint_case {
        std::int64_t N, Cu, Hu, Wu, Cx, kh, kw;
        int stride, padding;
    };
    for (const adjoint_case& a : {adjoint_case{2, 3, 7, 5, 2, 3, 2, 1, 0}, adjoint_case{2, 2, 8, 8, 3, 4, 4, 2, 1},
                                  adjoint_case{3, 2, 10, 6, 2, 3, 3, 2, 1}, adjoint_case{2, 1, 12, 8, 2, 3, 2, 3, 2}}) {
        const std::int64_t H = (a.Hu + 2 * a.padding - a.kh) / a.stride + 1,
                           W = (a.Wu + 2 * a.padding - a.kw) / a.stride + 1;
        const int op = static_cast<int>((a.Hu + 2 * a.padding - a.kh) % a.stride);
        REQUIRE(op == (a.Wu + 2 * a.padding - a.kw) % a.stride);
        const auto u = uniform_tensor({a.N, a.Cu, a.Hu, a.Wu}, 1), w = uniform_tensor({a.Cx, a.Cu, a.kh, a.kw}, 2),
                   x = uniform_tensor({a.N, a.Cx, H, W}, 3);
        const auto cu = conv2d(V(u), V(w), {.stride = a.stride, .padding = a.padding}).value().to_vector();
        const auto tx = conv_transpose2d(V(x), V(w), {.stride = a.stride, .padding = a.padding, .output_padding = op})
                            .value();
        REQUIRE(tx.shape() == u.shape());
        const auto xv = x.to_vector(), uv = u.to_vector(), txv = tx.to_vector();
        double left = 0, right = 0;
        for (std::size_t i = 0; i < xv.size(); ++i) left += cu[i] * xv[i];
        for (std::size_t i = 0; i < uv.size(); ++i) right += uv[i] * txv[i];
        CHECK(left == doctest::Approx(right).epsilon(1e-12));
    }
}

TEST_CASE("conv: an empty batch gives an empty output and zero parameter gradients") {
    parameter<double> w("w", uniform_tensor({3, 2, 3, 3}, 1)), b("b", uniform_tensor({3}, 2));
    parameter<double> wt("wt", uniform_tensor({3, 2, 3, 3}, 3)), bt("bt", uniform_tensor({2}, 4));
    const V y = conv2d(V(tensor<double>::zeros({0, 2, 5, 5})), w.as_var(), b.as_var(), {.padding = 1});
    CHECK(y.shape() == latent::shape{0, 3, 5, 5});
    const V z = conv_transpose2d(y, wt.as_var(), bt.as_var(), {.stride = 2});
    CHECK(z.shape() == latent::shape{0, 2, 11, 11});
    backward(sum(z) + sum(y));
    for (const auto* p : {&w, &b, &wt, &bt})
        for (double v : p->grad().to_vector()) CHECK(v == 0);
}

TEST_CASE("conv: errors name the op and the shapes") {
    const V x(tensor<double>::zeros({2, 3, 5, 5}));
    const V w(tensor<double>::zeros({4, 3, 3, 3}));
    CHECK_THROWS_WITH_AS(conv2d(x, V(tensor<double>::zeros({4, 2, 3, 3}))),
                         "conv2d: input [2, 3, 5, 5] has 3 channels, weight [4, 2, 3, 3] expects 2", shape_error);
    CHECK_THROWS_WITH_AS(conv2d(V(tensor<double>::zeros({3, 5, 5})), w),
                         "conv2d: input must be [N, C, H, W], got [3, 5, 5]", shape_error);
    CHECK_THROWS_WITH_AS(conv2d(x, V(tensor<double>::zeros({4, 3, 3}))), "conv2d: weight must have rank 4, got [4, 3, 3]",
                         shape_error);
    CHECK_THROWS_WITH_AS(conv2d(x, w, V(tensor<double>::zeros({3}))),
                         "conv2d: bias [3] for weight [4, 3, 3, 3] (expected [4])", shape_error);
    CHECK_THROWS_WITH_AS(conv2d(x, w, {.stride = 0}), "conv2d: stride must be at least 1, got 0", config_error);
    CHECK_THROWS_WITH_AS(conv2d(x, w, {.padding = -1}), "conv2d: padding must not be negative, got -1", config_error);
    CHECK_THROWS_WITH_AS(conv2d(x, V(tensor<double>::zeros({4, 3, 8, 3}))),
                         "conv2d: kernel 8x3 larger than the padded input (input [2, 3, 5, 5], weight [4, 3, 8, 3], "
                         "padding 0)",
                         shape_error);
    CHECK_NOTHROW(conv2d(x, V(tensor<double>::zeros({4, 3, 7, 7})), {.padding = 1}));  // exactly fits: 1×1 output

    const V wt(tensor<double>::zeros({3, 4, 3, 3}));
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, V(tensor<double>::zeros({4, 3, 3, 3}))),
                         "conv_transpose2d: input [2, 3, 5, 5] has 3 channels, weight [4, 3, 3, 3] expects 4",
                         shape_error);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, V(tensor<double>::zeros({3}))),
                         "conv_transpose2d: bias [3] for weight [3, 4, 3, 3] (expected [4])", shape_error);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, {.stride = 2, .output_padding = 2}),
                         "conv_transpose2d: output_padding must lie in [0, stride = 2), got 2", config_error);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, {.output_padding = -1}),
                         "conv_transpose2d: output_padding must lie in [0, stride = 1), got -1", config_error);
    CHECK_THROWS_WITH_AS(conv_transpose2d(x, wt, {.stride = -2}), "conv_transpose2d: stride must be at least 1, got -2",
                         config_error);
    CHECK_THROWS_WITH_AS(conv_transpose2d(V(tensor<double>::zeros({1, 3, 1, 1})), wt, {.padding = 2}),
                         "conv_transpose2d: input [1, 3, 1, 1] with weight [3, 4, 3, 3], stride 1, padding 2 and "
                         "output_padding 0 gives a non-positive output size -1x-1",
                         shape_error);
}
