#include <doctest/doctest.h>

#include <latent/autograd/ops/matmul.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

TEST_CASE("matmul: values against a naive loop") {
    const auto a = uniform_tensor({3, 5}, 1), b = uniform_tensor({5, 2}, 2);
    const auto y = matmul(V(a), V(b)).value().to_vector();
    const auto av = a.to_vector(), bv = b.to_vector();
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 2; ++j) {
            double s = 0;
            for (int k = 0; k < 5; ++k) s += av[i * 5 + k] * bv[k * 2 + j];
            CHECK(y[i * 2 + j] == doctest::Approx(s));
        }
}

TEST_CASE("matmul and linear: gradients") {
    auto r = gradcheck<double, cpu>([](const Vs& v) { return matmul(v[0], v[1]); },
                                    {uniform_tensor({3, 5}, 1), uniform_tensor({5, 4}, 2)});
    INFO(r.report);
    CHECK(r.ok);
    r = gradcheck<double, cpu>([](const Vs& v) { return linear(v[0], v[1], v[2]); },
                               {uniform_tensor({6, 5}, 3), uniform_tensor({4, 5}, 4), uniform_tensor({4}, 5)});
    INFO(r.report);
    CHECK(r.ok);
    r = gradcheck<double, cpu>([](const Vs& v) { return linear(v[0], v[1]); },
                               {uniform_tensor({2, 3, 2}, 3), uniform_tensor({4, 6}, 4)});
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("linear: equals x·Wᵀ + b") {
    const auto x = uniform_tensor({2, 3}, 1), w = uniform_tensor({4, 3}, 2), b = uniform_tensor({4}, 3);
    const auto y = linear(V(x), V(w), V(b)).value().to_vector();
    const auto xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
    for (int n = 0; n < 2; ++n)
        for (int o = 0; o < 4; ++o) {
            double s = bv[o];
            for (int i = 0; i < 3; ++i) s += xv[n * 3 + i] * wv[o * 3 + i];
            CHECK(y[n * 4 + o] == doctest::Approx(s));
        }
}

TEST_CASE("matmul: mismatched shapes name the op and both shapes") {
    const V a(tensor<double>::zeros({3, 4})), b(tensor<double>::zeros({5, 2}));
    CHECK_THROWS_WITH_AS(matmul(a, b), "matmul: [3, 4] times [5, 2]: inner extents differ", shape_error);
    CHECK_THROWS_AS(linear(a, b), shape_error);
}
