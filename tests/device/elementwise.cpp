// Elementwise ops, broadcasting, reductions and log-sum-exp on the device
// backend, forward and backward, against the cpu backend.
#include "compare.hpp"

using namespace latent;
using device_test::check_op;
using device_test::min_launches;
using device_test::random_tensor;

namespace {
const shape s23{2, 3}, s45{4, 5};

template <class Op>
void unary(const char* name, Op op, const tensor<float>& x) {
    check_op(name, [&](const auto& v) { return op(v[0]); }, {x});
}
}  // namespace

TEST_CASE("device elementwise: every unary function matches the cpu backend") {
    const auto x = random_tensor(s45, 1, -3, 3);
    const auto pos = random_tensor(s45, 2, 0.1, 4);  // inside log, sqrt, pow's domain
    unary("neg", [](const auto& a) { return neg(a); }, x);
    unary("exp", [](const auto& a) { return exp(a); }, x);
    unary("log", [](const auto& a) { return log(a); }, pos);
    unary("log1p", [](const auto& a) { return log1p(a); }, pos);
    unary("softplus", [](const auto& a) { return softplus(a); }, x);
    unary("sigmoid", [](const auto& a) { return sigmoid(a); }, x);
    unary("log_sigmoid", [](const auto& a) { return log_sigmoid(a); }, x);
    unary("tanh", [](const auto& a) { return tanh(a); }, x);
    unary("relu", [](const auto& a) { return relu(a); }, x);
    unary("leaky_relu", [](const auto& a) { return leaky_relu(a, 0.2); }, x);
    unary("square", [](const auto& a) { return square(a); }, x);
    unary("sqrt", [](const auto& a) { return sqrt(a); }, pos);
    unary("abs", [](const auto& a) { return abs(a); }, x);
    unary("pow", [](const auto& a) { return pow(a, 1.7); }, pos);
    unary("clamp", [](const auto& a) { return clamp(a, -1.0, 2.0); }, x);
}

TEST_CASE("device elementwise: arithmetic with a scalar matches the cpu backend") {
    const auto x = random_tensor(s23, 3, 0.5, 2);
    unary("x + s", [](const auto& a) { return a + 1.5; }, x);
    unary("s + x", [](const auto& a) { return 1.5 + a; }, x);
    unary("x - s", [](const auto& a) { return a - 0.25; }, x);
    unary("s - x", [](const auto& a) { return 0.25 - a; }, x);
    unary("x * s", [](const auto& a) { return a * 3.0; }, x);
    unary("s * x", [](const auto& a) { return -2.0 * a; }, x);
    unary("x / s", [](const auto& a) { return a / 4.0; }, x);
    unary("s / x", [](const auto& a) { return 2.0 / a; }, x);
    unary("-x", [](const auto& a) { return -a; }, x);
}

TEST_CASE("device elementwise: binary ops with every kind of broadcast match the cpu backend") {
    struct shapes {
        const char* kind;
        shape a, b;
    };
    const shapes cases[] = {
        {"same", {3, 4}, {3, 4}},
        {"scalar", {3, 4}, {}},
        {"one element", {1}, {3, 4}},
        {"suffix (bias row)", {3, 4}, {4}},
        {"suffix [1, D]", {1, 4}, {3, 4}},
        {"prefix (per row)", {3, 4}, {3, 1}},
        {"general", {2, 1, 3}, {1, 4, 1}},
        {"general, rank 4", {2, 3, 1, 5}, {3, 4, 1}},
    };
    std::uint32_t seed = 10;
    for (const auto& c : cases) {
        const auto a = random_tensor(c.a, seed++, 0.5, 2), b = random_tensor(c.b, seed++, 0.5, 2);
        const std::string k = std::string(" (") + c.kind + ")";
        check_op(std::string("add") + k, [](const auto& v) { return v[0] + v[1]; }, {a, b});
        check_op(std::string("sub") + k, [](const auto& v) { return v[0] - v[1]; }, {a, b});
        check_op(std::string("mul") + k, [](const auto& v) { return v[0] * v[1]; }, {a, b});
        check_op(std::string("div") + k, [](const auto& v) { return v[0] / v[1]; }, {a, b});
    }
}

TEST_CASE("device reduce: sums and means over everything, rows and columns match the cpu backend") {
    // Small extents take the one-pass reductions, long ones (over 2048 values) the two-pass ones.
    // Values in [0.5, 1.5): a long float sum with cancellation is only as exact as the cpu's own
    // float accumulation (Eigen), which the device's double partial sums then rightly disagree with.
    for (const shape& s : {shape{4, 5}, shape{3, 2, 4}, shape{2, 3000}, shape{3000, 3}, shape{5000}}) {
        CAPTURE(s);
        const auto x = random_tensor(s, 20, 0.5, 1.5);
        check_op("sum", [](const auto& v) { return sum(v[0]); }, {x});
        check_op("mean", [](const auto& v) { return mean(v[0]); }, {x});
        check_op("sum_rows", [](const auto& v) { return sum_rows(v[0]); }, {x});
        check_op("mean_rows", [](const auto& v) { return mean_rows(v[0]); }, {x});
        check_op("sum_cols", [](const auto& v) { return sum_cols(v[0]); }, {x});
        check_op("mean_cols", [](const auto& v) { return mean_cols(v[0]); }, {x});
    }
}

TEST_CASE("device reduce: the gradient of a long broadcast operand is summed on the device") {
    // [3000, 3] + [3]: the bias gradient is a two-pass column sum; + [3000, 1]: a row sum per row.
    const auto x = random_tensor({3000, 3}, 30), bias = random_tensor({3}, 31), rows = random_tensor({3000, 1}, 32);
    check_op("add, long suffix", [](const auto& v) { return v[0] + v[1]; }, {x, bias});
    check_op("add, long prefix", [](const auto& v) { return v[0] * v[1]; }, {x, rows});
    check_op("add, scalar over many", [](const auto& v) { return v[0] * v[1]; },
             {x, random_tensor(shape{}, 33)});
}

TEST_CASE("device reduce: logsumexp_rows matches the cpu backend, large inputs included") {
    check_op("logsumexp_rows", [](const auto& v) { return logsumexp_rows(v[0]); }, {random_tensor({5, 7}, 40, -3, 3)});
    check_op("logsumexp_rows, large", [](const auto& v) { return logsumexp_rows(v[0]); },
             {random_tensor({4, 6}, 41, 80, 120)});
    check_op("logsumexp_rows, one column", [](const auto& v) { return logsumexp_rows(v[0]); },
             {random_tensor({4, 1}, 42)});
}

TEST_CASE("device elementwise: double precision matches the cpu backend") {
    const auto x = random_tensor<double>({3, 4}, 50, 0.5, 2), b = random_tensor<double>({4}, 51, 0.5, 2);
    check_op<double>("double mul+log", [](const auto& v) { return log(v[0] * v[1]) + sigmoid(v[0]); }, {x, b});
    check_op<double>("double sum_cols", [](const auto& v) { return sum_cols(v[0]); }, {x});
}
