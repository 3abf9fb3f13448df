#include <doctest/doctest.h>

#include <latent/autograd/ops/shape.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;
using labels_t = tensor<std::int32_t>;

namespace {
/// Naive concatenation of row-major matrices (rows × cols each) into one matrix.
std::vector<double> naive_concat(const std::vector<tensor<double>>& parts) {
    const auto rows = static_cast<std::size_t>(parts[0].rows());
    std::vector<double> out;
    for (std::size_t r = 0; r < rows; ++r)
        for (const auto& p : parts) {
            const auto v = p.to_vector();
            const auto cols = static_cast<std::size_t>(p.cols());
            for (std::size_t c = 0; c < cols; ++c) out.push_back(v[r * cols + c]);
        }
    return out;
}
}  // namespace

TEST_CASE("concat_features: values and shape against a naive loop") {
    const auto a = uniform_tensor({2, 2}, 1), b = uniform_tensor({2, 3}, 2), c = uniform_tensor({2, 1, 2}, 3);
    const V y = concat_features({V(a), V(b), V(c)});
    CHECK(y.shape() == latent::shape{2, 7});
    CHECK(y.value().to_vector() == naive_concat({a, b, c}));
    // by hand: [[1, 2 | 5], [3, 4 | 6]]
    const V h = concat_features({V(tensor<double>::from_host({2, 2}, {1, 2, 3, 4})),
                                 V(tensor<double>::from_host({2}, {5, 6}))});
    CHECK(h.value().to_vector() == std::vector<double>{1, 2, 5, 3, 4, 6});
}

TEST_CASE("concat_features: gradients, with constant parts in between") {
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return concat_features({v[0], v[1], v[2]}); },
                                    {uniform_tensor({3, 2}, 1), uniform_tensor({3, 4}, 2), uniform_tensor({3, 2, 2}, 3)}));
    const auto constant = uniform_tensor({3, 3}, 9);
    check_ok(gradcheck<double, cpu>(
        [&](const Vs& v) { return concat_features({V(constant), v[0], V(constant), v[1]}); },
        {uniform_tensor({3, 1}, 4), uniform_tensor({3, 5}, 5)}));
}

TEST_CASE("concat_features: more parts than an op may have inputs") {
    for (int count : {9, 17, 70}) {  // one level of groups, three groups, two levels (70 > 8·8)
        INFO(count, " parts");
        std::vector<tensor<double>> parts;
        for (int k = 0; k < count; ++k) parts.push_back(uniform_tensor({2, 1 + k % 3}, static_cast<std::uint32_t>(k)));
        const Vs vars(parts.begin(), parts.end());
        const V y = concat_features(std::span<const V>(vars));
        CHECK(y.rows() == 2);
        CHECK(y.value().to_vector() == naive_concat(parts));
        check_ok(gradcheck<double, cpu>([](const Vs& v) { return concat_features(std::span<const V>(v)); }, parts));
    }
}

TEST_CASE("concat_features: errors name the op and the shapes") {
    const V a(tensor<double>::zeros({2, 3})), b(tensor<double>::zeros({3, 3}));
    CHECK_THROWS_WITH_AS(concat_features({a, b}),
                         "concat_features: part 1 of shape [3, 3] has 3 rows, part 0 of shape [2, 3] has 2",
                         shape_error);
    CHECK_THROWS_AS(concat_features(std::span<const V>()), shape_error);
}

TEST_CASE("slice_features: values, gradients and errors") {
    const V x(tensor<double>::from_host({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}));
    const V y = slice_features(x, 1, 3);
    CHECK(y.shape() == latent::shape{2, 2});
    CHECK(y.value().to_vector() == std::vector<double>{2, 3, 6, 7});
    CHECK(slice_features(x, 2, 2).shape() == latent::shape{2, 0});
    // a rank-3 input is sliced through its matrix view [2, 6]
    const auto x3 = uniform_tensor({2, 3, 2}, 1);
    const auto v3 = x3.to_vector();
    CHECK(slice_features(V(x3), 4, 6).value().to_vector() == std::vector<double>{v3[4], v3[5], v3[10], v3[11]});
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return slice_features(v[0], 1, 4); }, {x3}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return slice_features(v[0], 0, 6); }, {x3}));
    // slicing the parts back out of a concatenation is the identity, gradients included
    check_ok(gradcheck<double, cpu>(
        [](const Vs& v) {
            const V c = concat_features({v[0], v[1]});
            return slice_features(c, 0, 2) * slice_features(c, 2, 4);
        },
        {uniform_tensor({3, 2}, 5), uniform_tensor({3, 2}, 6)}));
    CHECK_THROWS_WITH_AS(slice_features(x, 3, 5), "slice_features: columns [3, 5) outside the 4 columns of [2, 4]",
                         shape_error);
    CHECK_THROWS_AS(slice_features(x, 2, 1), shape_error);
    CHECK_THROWS_AS(slice_features(x, -1, 1), shape_error);
}

TEST_CASE("reshape and flatten: views with gradients") {
    const auto x = uniform_tensor({2, 3, 2}, 1);
    const V y = reshape(V(x), latent::shape{3, 4});
    CHECK(y.shape() == latent::shape{3, 4});
    CHECK(y.value().shares_storage_with(x));
    CHECK(y.value().to_vector() == x.to_vector());
    const V f = flatten(V(x));
    CHECK(f.shape() == latent::shape{2, 6});
    CHECK(f.value().shares_storage_with(x));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return reshape(v[0], latent::shape{3, 4}); }, {x}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return flatten(v[0]); }, {x}));
    // the gradient of a reshape flows into an op that needs the original shape
    check_ok(gradcheck<double, cpu>(
        [](const Vs& v) { return sum_rows(reshape(v[0], latent::shape{6, 2}) * reshape(v[0], latent::shape{6, 2})); },
        {x}));
    CHECK_THROWS_WITH_AS(reshape(V(x), latent::shape{5, 2}), "reshape: cannot view [2, 3, 2] (12 elements) as [5, 2]",
                         shape_error);
}

TEST_CASE("one_hot: codes by hand and bad labels") {
    const auto labels = labels_t::from_host({3}, {2, 0, 1});
    const auto h = one_hot<float>(labels, 3);
    CHECK(h.shape() == latent::shape{3, 3});
    CHECK(h.to_vector() == std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0});
    CHECK(one_hot<double>(labels_t::from_host({2, 1}, {3, 0}), 4).to_vector() ==
          std::vector<double>{0, 0, 0, 1, 1, 0, 0, 0});
    CHECK_THROWS_WITH_AS(one_hot<float>(labels_t::from_host({3}, {1, 3, 0}), 3),
                         "one_hot: label 3 at row 1 outside [0, 3) for [3, 3]", config_error);
    CHECK_THROWS_WITH_AS(one_hot<float>(labels_t::from_host({2}, {0, -1}), 3),
                         "one_hot: label -1 at row 1 outside [0, 3) for [2, 3]", config_error);
    CHECK_THROWS_AS(one_hot<float>(labels, 0), config_error);
    CHECK_THROWS_WITH_AS(one_hot<float>(labels_t::zeros({2, 2}), 3),
                         "one_hot: label tensor [2, 2] must hold one label per row ([N] or [N, 1])", shape_error);
}

TEST_CASE("gather_cols: values, gradients and bad indices") {
    const V x(tensor<double>::from_host({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}));
    const auto idx = labels_t::from_host({3}, {2, 0, 1});
    const V y = gather_cols(x, idx);
    CHECK(y.shape() == latent::shape{3, 1});
    CHECK(y.value().to_vector() == std::vector<double>{3, 4, 8});
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return gather_cols(v[0], idx); }, {uniform_tensor({3, 3}, 1)}));
    // the same column picked twice from one row accumulates
    const auto same = labels_t::from_host({2}, {1, 1});
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return gather_cols(v[0], same) * gather_cols(v[0], same); },
                                    {uniform_tensor({2, 4}, 2)}));
    CHECK_THROWS_WITH_AS(gather_cols(x, labels_t::from_host({3}, {0, 1, 3})),
                         "gather_cols: index 3 at row 2 outside [0, 3) for [3, 3]", config_error);
    CHECK_THROWS_WITH_AS(gather_cols(x, labels_t::from_host({2}, {0, 1})),
                         "gather_cols: index tensor [2] for 3 rows of [3, 3]", shape_error);
}

TEST_CASE("softmax_rows and log_softmax_rows: values against a naive loop") {
    const auto x = uniform_tensor({3, 4}, 1, -3, 3);
    const auto xv = x.to_vector();
    const auto s = softmax_rows(V(x)).value().to_vector(), ls = log_softmax_rows(V(x)).value().to_vector();
    for (int r = 0; r < 3; ++r) {
        double total = 0;
        for (int c = 0; c < 4; ++c) total += std::exp(xv[r * 4 + c]);
        double rows_sum = 0;
        for (int c = 0; c < 4; ++c) {
            CHECK(s[r * 4 + c] == doctest::Approx(std::exp(xv[r * 4 + c]) / total));
            CHECK(ls[r * 4 + c] == doctest::Approx(xv[r * 4 + c] - std::log(total)));
            rows_sum += s[r * 4 + c];
        }
        CHECK(rows_sum == doctest::Approx(1.0));
    }
    CHECK(softmax_rows(V(x)).shape() == x.shape());
}

TEST_CASE("softmax_rows and log_softmax_rows: stable for large logits") {
    const V x(tensor<double>::from_host({2, 3}, {1000, 1000, -1000, -100, 100, 0}));
    const auto s = softmax_rows(x).value().to_vector(), ls = log_softmax_rows(x).value().to_vector();
    CHECK(s[0] == doctest::Approx(0.5));
    CHECK(s[1] == doctest::Approx(0.5));
    CHECK(s[2] == 0.0);
    CHECK(s[4] == doctest::Approx(1.0));
    CHECK(ls[0] == doctest::Approx(-std::log(2.0)));
    CHECK(ls[2] == doctest::Approx(-2000 - std::log(2.0)));
    CHECK(ls[3] == doctest::Approx(-200));
    CHECK(all_finite(softmax_rows(x).value()));
    CHECK(all_finite(log_softmax_rows(x).value()));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return log_softmax_rows(v[0]); },
                                    {tensor<double>::from_host({2, 3}, {100, 99, -100, -100, 100, 0})}));
}

TEST_CASE("softmax_rows and log_softmax_rows: gradients and errors") {
    const auto x = uniform_tensor({3, 2, 2}, 4, -2, 2);
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return softmax_rows(v[0]); }, {x}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return log_softmax_rows(v[0]); }, {x}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return softmax_rows(v[0]); }, {uniform_tensor({2, 1}, 5)}));
    CHECK_THROWS_WITH_AS(softmax_rows(V(tensor<double>::zeros({2, 0}))), "softmax_rows: rows of [2, 0] are empty",
                         shape_error);
    CHECK_THROWS_AS(log_softmax_rows(V(tensor<double>::zeros({2, 0}))), shape_error);
}
