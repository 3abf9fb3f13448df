#include <doctest/doctest.h>

#include <latent/tensor/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <vector>

using namespace latent;

namespace {
constexpr std::int64_t n_samples = 100000;

struct moments {
    double mean = 0, var = 0;
};
template <class T>
moments moments_of(const std::vector<T>& v) {
    moments m;
    for (T x : v) m.mean += x;
    m.mean /= static_cast<double>(v.size());
    for (T x : v) m.var += (x - m.mean) * (x - m.mean);
    m.var /= static_cast<double>(v.size() - 1);
    return m;
}

/// Kolmogorov–Smirnov distance between the sample and a CDF.
template <class T, class Cdf>
double ks_distance(std::vector<T> v, Cdf cdf) {
    std::sort(v.begin(), v.end());
    const double n = static_cast<double>(v.size());
    double d = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const double f = cdf(static_cast<double>(v[i]));
        d = std::max({d, std::fabs(f - static_cast<double>(i) / n), std::fabs(static_cast<double>(i + 1) / n - f)});
    }
    return d;
}
// The KS critical value at the 0.1% level is 1.95/√n; a correct sampler with a
// fixed seed passes with near certainty, a wrong shape (say a missing factor 2π) fails.
const double ks_limit = 1.95 / std::sqrt(static_cast<double>(n_samples));

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
}  // namespace

TEST_CASE("random: uniform_ moments, bounds and distribution") {
    generator gen(1);
    auto t = tensor<double>::empty({n_samples});
    const double lo = -2, hi = 3, n = n_samples;
    uniform_(t, gen, lo, hi);
    const auto v = t.to_vector();
    CHECK(*std::min_element(v.begin(), v.end()) >= lo);
    CHECK(*std::max_element(v.begin(), v.end()) < hi);
    const moments m = moments_of(v);
    const double w = hi - lo, var = w * w / 12;
    // standard errors: of the mean σ/√n; of the variance √(Var(x²)/n) with Var((x-μ)²) = w⁴/180
    CHECK(std::fabs(m.mean - (lo + hi) / 2) < 5 * std::sqrt(var / n));
    CHECK(std::fabs(m.var - var) < 5 * std::sqrt(w * w * w * w / 180 / n));
    CHECK(ks_distance(v, [&](double x) { return (x - lo) / w; }) < ks_limit);
}

TEST_CASE("random: normal_ moments and distribution") {
    generator gen(2);
    auto t = tensor<double>::empty({n_samples});
    const double mu = 1.5, sigma = 0.5, n = n_samples;
    normal_(t, gen, mu, sigma);
    const auto v = t.to_vector();
    const moments m = moments_of(v);
    CHECK(std::fabs(m.mean - mu) < 5 * sigma / std::sqrt(n));
    CHECK(std::fabs(m.var - sigma * sigma) < 5 * sigma * sigma * std::sqrt(2 / n));
    CHECK(ks_distance(v, [&](double x) { return normal_cdf((x - mu) / sigma); }) < ks_limit);
    // float fills: the same moments
    auto f = tensor<float>::empty({n_samples});
    normal_(f, gen);
    const moments mf = moments_of(f.to_vector());
    CHECK(std::fabs(mf.mean) < 5 / std::sqrt(n));
    CHECK(std::fabs(mf.var - 1) < 5 * std::sqrt(2 / n));
}

TEST_CASE("random: each element follows the documented counter layout, whatever the threads") {
    // n is above cpu_parallel_threshold, so OpenMP splits the fill where enabled;
    // the values must still be those of a naive loop over the counters.
    const std::int64_t n = 70000;
    generator gen(99, 3, 1234);
    generator reference = gen;
    auto u = tensor<double>::empty({n});
    auto z = tensor<float>::empty({n});
    uniform_(u, gen, -1, 1);
    normal_(z, gen, 0, 2);
    const philox_range ru = reference.take(n), rz = reference.take(n);
    CHECK(gen == reference);
    const auto uv = u.to_vector();
    const auto zv = z.to_vector();
    std::int64_t mismatches = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(i);
        const uint32x4 bu = ru.block(k), bz = rz.block(k);
        mismatches += uv[k] != -1 + 2 * unit_double_closed_open(bu.w[0], bu.w[1]);
        mismatches += zv[k] != static_cast<float>(2 * box_muller(bz));
    }
    CHECK(mismatches == 0);
}

TEST_CASE("random: one call and two calls over the same counters give the same numbers") {
    // The design promises it: every element takes one counter, the offset advances by the count.
    for (auto fill : {0, 1, 2}) {
        CAPTURE(fill);
        generator one(5), two(5);
        auto whole = tensor<float>::empty({25}), first = tensor<float>::empty({10}), second = tensor<float>::empty({15});
        auto run = [&](tensor<float>& t, generator& g) {
            if (fill == 0) uniform_(t, g, -3, 3);
            else if (fill == 1) normal_(t, g, 1, 2);
            else bernoulli_(t, g, 0.4);
        };
        run(whole, one);
        run(first, two);
        run(second, two);
        CHECK(one == two);
        const auto w = whole.to_vector(), a = first.to_vector(), b = second.to_vector();
        CHECK(std::equal(a.begin(), a.end(), w.begin()));
        CHECK(std::equal(b.begin(), b.end(), w.begin() + 10));
    }
    // and a float fill is the double fill from the same counters, rounded
    generator gf(6), gd(6);
    auto f = tensor<float>::empty({1000});
    auto d = tensor<double>::empty({1000});
    normal_(f, gf);
    normal_(d, gd);
    const auto fv = f.to_vector();
    const auto dv = d.to_vector();
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < fv.size(); ++i) mismatches += fv[i] != static_cast<float>(dv[i]);
    CHECK(mismatches == 0);
}

TEST_CASE("random: consecutive fills differ and copies of the generator replay them") {
    generator gen(8);
    auto a = tensor<double>::empty({64}), b = tensor<double>::empty({64});
    generator saved = gen;
    uniform_(a, gen);
    uniform_(b, gen);
    CHECK(a.to_vector() != b.to_vector());
    auto c = tensor<double>::empty({64});
    uniform_(c, saved);
    CHECK(a.to_vector() == c.to_vector());
}

TEST_CASE("random: bernoulli_ frequency and the cases p = 0 and p = 1") {
    generator gen(9);
    auto t = tensor<float>::empty({n_samples});
    const double p = 0.3, n = n_samples;
    bernoulli_(t, gen, p);
    const auto v = t.to_vector();
    double ones = 0;
    CHECK(std::ranges::all_of(v, [](float x) { return x == 0.0f || x == 1.0f; }));
    for (float x : v) ones += x;
    CHECK(std::fabs(ones / n - p) < 5 * std::sqrt(p * (1 - p) / n));
    bernoulli_(t, gen, 0.0);
    CHECK(std::ranges::all_of(t.to_vector(), [](float x) { return x == 0; }));
    bernoulli_(t, gen, 1.0);
    CHECK(std::ranges::all_of(t.to_vector(), [](float x) { return x == 1; }));
    // integer tensors too (masks, labels)
    auto m = tensor<std::uint8_t>::empty({1000});
    bernoulli_(m, gen, 0.5);
    CHECK(std::ranges::all_of(m.to_vector(), [](std::uint8_t x) { return x <= 1; }));
    CHECK_THROWS_AS(bernoulli_(t, gen, 1.5), config_error);
    CHECK_THROWS_AS(bernoulli_(t, gen, -0.1), config_error);
    CHECK_THROWS_AS(bernoulli_(t, gen, std::nan("")), config_error);
}

TEST_CASE("random: bernoulli of a probability tensor, per element") {
    // column k of [N, 4] has probability probs[k]
    const std::vector<double> probs = {0.0, 0.1, 0.5, 1.0};
    const std::int64_t rows = 25000;
    std::vector<double> host(rows * 4);
    for (std::int64_t r = 0; r < rows; ++r)
        for (int k = 0; k < 4; ++k) host[r * 4 + k] = probs[k];
    generator gen(10);
    const auto out = bernoulli(tensor<double>::from_host({rows, 4}, host), gen);
    CHECK(out.shape() == shape{rows, 4});
    CHECK(gen.offset() == static_cast<std::uint64_t>(rows * 4));
    const auto v = out.to_vector();
    for (int k = 0; k < 4; ++k) {
        double ones = 0;
        for (std::int64_t r = 0; r < rows; ++r) ones += v[r * 4 + k];
        const double p = probs[k], se = std::sqrt(p * (1 - p) / rows);
        CAPTURE(k);
        if (p == 0 || p == 1) CHECK(ones == p * rows);
        else CHECK(std::fabs(ones / rows - p) < 5 * se);
    }
}

TEST_CASE("random: categorical frequencies match the given weights") {
    const std::int64_t rows = n_samples;
    // unnormalised weights, one zero: P = (0.1, 0, 0.6, 0.3)
    const std::vector<double> weights = {1, 0, 6, 3};
    const double total = 10;
    std::vector<float> host(rows * 4);
    for (std::int64_t r = 0; r < rows; ++r)
        for (int k = 0; k < 4; ++k) host[r * 4 + k] = static_cast<float>(weights[k]);
    generator gen(11);
    const auto draws = categorical(tensor<float>::from_host({rows, 4}, host), gen);
    CHECK(draws.shape() == shape{rows});
    CHECK(gen.offset() == static_cast<std::uint64_t>(rows));  // one counter per row
    const auto v = draws.to_vector();
    REQUIRE(std::ranges::all_of(v, [](std::int32_t c) { return c >= 0 && c < 4; }));
    std::vector<double> count(4, 0);
    for (std::int32_t c : v) ++count[c];
    CHECK(count[1] == 0);
    for (int k = 0; k < 4; ++k) {
        const double p = weights[k] / total;
        CAPTURE(k);
        CHECK(std::fabs(count[k] / rows - p) < 5 * std::sqrt(p * (1 - p) / rows) + 1e-12);
    }
}

TEST_CASE("random: categorical with a different distribution per row") {
    // one-hot rows must return their hot index; a row of one category always 0
    generator gen(12);
    const auto probs = tensor<double>::from_host({3, 3}, {0, 0, 2, 0, 1, 0, 5, 0, 0});
    CHECK(categorical(probs, gen).to_vector() == std::vector<std::int32_t>{2, 1, 0});
    CHECK(categorical(tensor<double>::ones({4, 1}), gen).to_vector() == std::vector<std::int32_t>{0, 0, 0, 0});
    CHECK(categorical(tensor<double>::ones({0, 3}), gen).numel() == 0);
}

TEST_CASE("random: categorical rejects bad shapes and weights") {
    generator gen(13);
    CHECK_THROWS_AS(categorical(tensor<double>::ones({4}), gen), shape_error);
    CHECK_THROWS_AS(categorical(tensor<double>::ones({4, 0}), gen), shape_error);
    CHECK_THROWS_AS(categorical(tensor<double>::from_host({2, 2}, {1, 1, 0, 0}), gen), config_error);
    CHECK_THROWS_AS(categorical(tensor<double>::from_host({1, 2}, {1, -1}), gen), config_error);
    CHECK_THROWS_AS(categorical(tensor<double>::from_host({1, 2}, {1, std::nan("")}), gen), config_error);
    CHECK_THROWS_AS(categorical(tensor<double>::from_host({1, 2}, {1, INFINITY}), gen), config_error);
}

TEST_CASE("random: permutation is a permutation, uniformly distributed") {
    generator gen(14);
    for (std::int64_t n : {0, 1, 2, 17, 1000}) {
        CAPTURE(n);
        const auto p = permutation(n, gen);
        CHECK(p.shape() == shape{n});
        auto v = p.to_vector();
        std::sort(v.begin(), v.end());
        std::vector<std::int32_t> iota(static_cast<std::size_t>(n));
        std::iota(iota.begin(), iota.end(), 0);
        CHECK(v == iota);
    }
    CHECK(permutation(1000, gen).to_vector() != permutation(1000, gen).to_vector());
    // all 6 orders of 3 elements equally likely (an off-by-one in Fisher–Yates,
    // j < i instead of j ≤ i, gives only the 2 cyclic ones)
    std::map<std::vector<std::int32_t>, double> seen;
    const int trials = 60000;
    for (int t = 0; t < trials; ++t) ++seen[permutation(3, gen).to_vector()];
    CHECK(seen.size() == 6);
    const double p = 1.0 / 6;
    for (const auto& [order, count] : seen) CHECK(std::fabs(count / trials - p) < 5 * std::sqrt(p * (1 - p) / trials));
    CHECK_THROWS_AS(permutation(-1, gen), config_error);
}

TEST_CASE("random: bad bounds are config errors") {
    generator gen(15);
    auto t = tensor<float>::empty({4});
    CHECK_THROWS_AS(uniform_(t, gen, 1, 0), config_error);
    CHECK_THROWS_AS(uniform_(t, gen, 0, INFINITY), config_error);
    CHECK_THROWS_AS(normal_(t, gen, 0, -1), config_error);
    CHECK_THROWS_AS(normal_(t, gen, std::nan(""), 1), config_error);
    CHECK(gen.offset() == 0);  // validated before drawing
    uniform_(t, gen, 2, 2);
    CHECK(t.to_vector() == std::vector<float>(4, 2.0f));
}
