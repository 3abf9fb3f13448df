#include <doctest/doctest.h>

#include <latent/autograd/ops/reduce.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

TEST_CASE("reduce: values by hand") {
    const V x(tensor<double>::from_host({2, 3}, {1, 2, 3, 4, 5, 6}));
    CHECK(sum(x).item() == 21);
    CHECK(mean(x).item() == 3.5);
    CHECK(sum_rows(x).value().to_vector() == std::vector<double>{6, 15});
    CHECK(sum_rows(x).shape() == latent::shape{2, 1});
    CHECK(mean_rows(x).value().to_vector() == std::vector<double>{2, 5});
    CHECK(sum_cols(x).value().to_vector() == std::vector<double>{5, 7, 9});
    CHECK(mean_cols(x).shape() == latent::shape{1, 3});
    CHECK(mean_cols(x).value().to_vector() == std::vector<double>{2.5, 3.5, 4.5});
    const auto lse = logsumexp_rows(x).value().to_vector();
    CHECK(lse[0] == doctest::Approx(std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0))));
    CHECK(lse[1] == doctest::Approx(std::log(std::exp(4.0) + std::exp(5.0) + std::exp(6.0))));
}

TEST_CASE("reduce: log-sum-exp is stable for large inputs") {
    const V x(tensor<double>::from_host({1, 2}, {1000, 1000}));
    CHECK(logsumexp_rows(x).item() == doctest::Approx(1000 + std::log(2.0)));
}

TEST_CASE("reduce: gradients") {
    const auto x = uniform_tensor({4, 2, 3}, 11);
    for (auto r : {gradcheck<double, cpu>([](const Vs& v) { return sum(v[0]); }, {x}),
                   gradcheck<double, cpu>([](const Vs& v) { return mean(v[0]); }, {x}),
                   gradcheck<double, cpu>([](const Vs& v) { return sum_rows(v[0]); }, {x}),
                   gradcheck<double, cpu>([](const Vs& v) { return mean_rows(v[0]); }, {x}),
                   gradcheck<double, cpu>([](const Vs& v) { return sum_cols(v[0]); }, {x}),
                   gradcheck<double, cpu>([](const Vs& v) { return mean_cols(v[0]); }, {x}),
                   gradcheck<double, cpu>([](const Vs& v) { return logsumexp_rows(v[0]); }, {x})}) {
        INFO(r.report);
        CHECK(r.ok);
    }
}
