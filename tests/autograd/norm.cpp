#include <doctest/doctest.h>

#include <latent/autograd/ops/norm.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {

/// The inputs of tests/reference/batch_norm.py: x[i] = sin(0.37·i + 0.1)·(1 + 0.5·(i mod 4)).
tensor<double> reference_x(const latent::shape& s) {
    std::vector<double> v(static_cast<std::size_t>(s.numel()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37 * double(i) + 0.1) * (1 + 0.5 * double(i % 4));
    return tensor<double>::from_host(s, v);
}
/// The loss weights of the script: r[i] = cos(0.23·i), L = Σ r·y.
tensor<double> reference_r(const latent::shape& s) {
    std::vector<double> v(static_cast<std::size_t>(s.numel()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.23 * double(i));
    return tensor<double>::from_host(s, v);
}

void check_values(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-9) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i);
        CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol).scale(1.0));
    }
}

/// What PyTorch printed for one case of tests/reference/batch_norm.py.
struct torch_case {
    latent::shape x_shape;
    std::vector<double> gamma, beta, running_mean, running_var;
    batch_norm_options options;
    std::vector<double> y, new_running_mean, new_running_var, dx, dgamma, dbeta;
};

void check_against_torch(const torch_case& t) {
    const auto C = static_cast<std::int64_t>(t.gamma.size());
    parameter<double> x("x", reference_x(t.x_shape));
    parameter<double> gamma("gamma", tensor<double>::from_host({C}, t.gamma));
    parameter<double> beta("beta", tensor<double>::from_host({C}, t.beta));
    auto rm = tensor<double>::from_host({C}, t.running_mean), rv = tensor<double>::from_host({C}, t.running_var);
    const V y = batch_norm(x.as_var(), gamma.as_var(), beta.as_var(), rm, rv, t.options);
    backward(sum(y * V(reference_r(t.x_shape))));
    check_values(y.value().to_vector(), t.y);
    check_values(rm.to_vector(), t.new_running_mean);
    check_values(rv.to_vector(), t.new_running_var);
    check_values(x.grad().to_vector(), t.dx);
    check_values(gamma.grad().to_vector(), t.dgamma);
    check_values(beta.grad().to_vector(), t.dbeta);
}

}  // namespace

TEST_CASE("batch_norm: a worked example by hand") {
    // One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
    const V x(tensor<double>::from_host({4, 1}, {1, 2, 3, 4}));
    auto rm = tensor<double>::zeros({1}), rv = tensor<double>::ones({1});
    const V y = batch_norm(x, V(), V(), rm, rv, {.eps = 0.0});
    const double sd = std::sqrt(1.25);
    check_values(y.value().to_vector(), {-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd}, 1e-14);
    CHECK(rm.item() == doctest::Approx(0.1 * 2.5).epsilon(1e-14));            // 0.9·0 + 0.1·2.5
    CHECK(rv.item() == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0).epsilon(1e-14));  // 0.9·1 + 0.1·(5/3)
    // evaluation mode uses the running statistics and leaves them alone
    const V z = batch_norm(x, V(tensor<double>::from_host({1}, {2.0})), V(tensor<double>::from_host({1}, {1.0})),
                           rm, rv, {.training = false, .eps = 0.0});
    const double rsd = std::sqrt(0.9 + 0.5 / 3.0);
    check_values(z.value().to_vector(), {2 * (1 - 0.25) / rsd + 1, 2 * (2 - 0.25) / rsd + 1, 2 * (3 - 0.25) / rsd + 1,
                                         2 * (4 - 0.25) / rsd + 1},
                 1e-14);
    CHECK(rm.item() == doctest::Approx(0.25).epsilon(1e-14));
}

TEST_CASE("batch_norm: batch statistics and running updates against a naive loop") {
    // [N, C, H, W] = [5, 3, 4, 2] in float, with values far from zero so that a one-pass variance would lose digits.
    const std::int64_t N = 5, C = 3, S = 8;
    const auto x = uniform_tensor<double>({N, C, 4, 2}, 17, 99.0, 101.0);
    const auto gamma = uniform_tensor<double>({C}, 18, 0.5, 1.5), beta = uniform_tensor<double>({C}, 19);
    auto rm = uniform_tensor<float>({C}, 20), rv = uniform_tensor<float>({C}, 21, 0.5, 2.0);
    const auto rm0 = rm.to_vector(), rv0 = rv.to_vector();
    const batch_norm_options opt{.momentum = 0.25, .eps = 1e-3};
    const auto y = batch_norm(var<float>(x.as<float>()), var<float>(gamma.as<float>()), var<float>(beta.as<float>()), rm,
                              rv, opt)
                       .value()
                       .to_vector();
    const auto xv = x.as<float>().as<double>().to_vector(), gv = gamma.to_vector(), bv = beta.to_vector();
    const auto rm1 = rm.to_vector(), rv1 = rv.to_vector();
    for (std::int64_t c = 0; c < C; ++c) {
        double mean = 0, var = 0;
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t s = 0; s < S; ++s) mean += xv[(n * C + c) * S + s];
        mean /= N * S;
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t s = 0; s < S; ++s) var += std::pow(xv[(n * C + c) * S + s] - mean, 2);
        var /= N * S;
        CHECK(rm1[c] == doctest::Approx(0.75 * rm0[c] + 0.25 * mean).epsilon(1e-6));
        CHECK(rv1[c] == doctest::Approx(0.75 * rv0[c] + 0.25 * var * (N * S) / (N * S - 1)).epsilon(1e-5));
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t s = 0; s < S; ++s) {
                const std::size_t i = static_cast<std::size_t>((n * C + c) * S + s);
                const double want = (xv[i] - mean) / std::sqrt(var + 1e-3) * gv[c] + bv[c];
                CHECK(y[i] == doctest::Approx(want).scale(1.0).epsilon(1e-4));
            }
    }
}

TEST_CASE("batch_norm: matches PyTorch") {
    // Numbers printed by tests/reference/batch_norm.py (torch 1.13, float64); inputs from the same formulas.
    // BatchNorm2d, training: batch statistics, running-stat update, gradients through the statistics.
    check_against_torch(torch_case{
        {3, 2, 2, 3}, {1.5, -0.7}, {0.2, -0.3}, {0.5, -1.0}, {2.0, 0.5}, {.training = true, .momentum = 0.1},
        {0.51510593827, 1.25536425633, 2.29001722277, 3.3755075103, 1.66494033799, 2.16758101712, -0.938833976091,
         -0.745814349657, -0.224072394325, 0.038552173139, 0.450509038332, 0.924693759415, -0.87090630131,
         -1.49125830219, -1.76662848306, -1.50209253294, 0.0552472699141, 0.591858446857, -0.656353049959,
         -1.14994683534, -0.666739871512, -0.957101317425, -1.1395559433, -1.12203641547, 0.937195370889,
         0.530727500475, -0.355758077438, -1.58358622006, -0.710970967293, -1.50234398662, 0.830196041268,
         0.902762550356, 0.121023257169, 0.0146323713448, -0.299151825495, -0.782763212452},
        {0.435315920854, -0.87715888647},
        {1.94599475787, 0.644229232547},
        {0.852450271192, 0.597504677622, 0.189040932945, -0.29490569756, 0.0051651831964, -0.39717982308,
         -0.0988646898509, 0.0195546010049, 0.137162124182, 0.247328974031, 0.344580664345, 0.423744462831,
         -1.19614318424, -1.08791514442, -1.01631592809, -1.03905497415, -1.38418512776, -1.36639973238,
         0.279306480618, 0.172505485825, 0.0573236250569, -0.0615113489048, -0.177068563445, -0.283197954314,
         0.371955834254, 0.670464842181, 1.05453995493, 1.47645287674, 1.20332227134, 1.36120276728, -0.42107374747,
         -0.341759729457, -0.24507872482, -0.13496757588, -0.0179148939048, 0.0999308101522},
        {6.31890699942, -0.0189184819272},
        {4.66076608063, -0.0124005456563}});
    // BatchNorm2d, evaluation: running statistics as constants, left unchanged.
    check_against_torch(torch_case{
        {3, 2, 2, 3}, {1.5, -0.7}, {0.2, -0.3}, {0.5, -1.0}, {2.0, 0.5}, {.training = false, .momentum = 0.1},
        {-0.224439695942, 0.390207106463, 1.24929388996, 2.15059160996, 0.73028383751, 1.14763340137, -2.73966939161,
         -2.3699614202, -1.37062180136, -0.867593182593, -0.0785348896385, 0.829714051396, -1.3752649827,
         -1.89035189818, -2.11899559865, -1.89934771102, -0.606266759776, -0.160711017954, -2.19860809078,
         -3.14403297046, -2.21850291079, -2.77465848486, -3.12413035387, -3.09057361556, 0.126027044869,
         -0.211468895042, -0.947530230052, -1.96701305565, -1.24246844499, -1.89955649652, 0.648714013601,
         0.787707220476, -0.709628846321, -0.913408945277, -1.51442823548, -2.4407329234},
        {0.5, -1},
        {2, 0.5},
        {1.06065752014, 1.03272658397, 0.95040481994, 0.818027885684, 0.642567704996, 0.433265276056, -0.1877329676,
         0.0387993279371, 0.263288171123, 0.473910360912, 0.659573014207, 0.81049779706, -0.98436729932,
         -1.04849370966, -1.05739888162, -1.01061380464, -0.910602518187, -0.762632337697, 0.536192655674,
         0.332360696646, 0.111024227015, -0.116159578893, -0.337225583868, -0.540530858203, 0.766471334503,
         0.913430213549, 1.01228127173, 1.0578182996, 1.04764298896, 0.982291245023, -0.80751857469, -0.655709112943,
         -0.469365281653, -0.258301290512, -0.0336332910634, 0.192806079988},
        {3.11491504052, -0.0577787368335},
        {4.66076608063, -0.0124005456563}});
    // BatchNorm1d on [N, C], training, momentum 0.3.
    check_against_torch(torch_case{
        {4, 3}, {0.8, 1.2, -1.1}, {0.0, 0.5, -0.25}, {0.1, 0.2, 0.3}, {1.0, 1.5, 0.75},
        {.training = true, .momentum = 0.3},
        {-0.562672507812, 0.872756708863, -1.21392082175, 1.07501475438, 1.28109820186, -1.14194062367, 0.435375781114,
         1.39704380939, -0.156684506398, -0.94771802768, -1.55089872012, 1.51254595182},
        {0.330752330484, 0.255992674856, 0.27172747716},
        {1.17858900763, 1.40511911582, 1.38316598573},
        {0.589400814125, 0.783111401394, -0.228433416171, 0.0465397763883, 0.118942957856, 0.107614351612,
         -0.232145329285, -0.758090490366, 0.201976802436, -0.403795261228, -0.143963868884, -0.0811577378774},
        {1.00336392356, 1.80620995873, 2.45086009675},
        {1.48216030214, 0.874016898596, 0.219841463523}});
}

TEST_CASE("batch_norm: gradients in training and evaluation") {
    struct grad_case {
        latent::shape s;
        bool training;
    };
    for (const grad_case& k : {grad_case{{4, 3}, true}, grad_case{{3, 2, 3, 2}, true}, grad_case{{2, 3, 5}, true},
                               grad_case{{4, 3}, false}, grad_case{{3, 2, 3, 2}, false}}) {
        const std::int64_t C = k.s[1];
        INFO("input ", k.s, ", training ", k.training);
        const auto rm = uniform_tensor({C}, 5), rv = uniform_tensor({C}, 6, 0.5, 2.0);
        auto f = [&](const Vs& v) {
            // fresh copies: training updates the running statistics on every evaluation
            auto m = rm.clone(), s = rv.clone();
            return batch_norm(v[0], v[1], v[2], m, s, {.training = k.training, .eps = 1e-3});
        };
        auto r = gradcheck<double, cpu>(
            f, {uniform_tensor(k.s, 1, -2.0, 2.0), uniform_tensor({C}, 2, 0.5, 1.5), uniform_tensor({C}, 3)});
        INFO(r.report);
        CHECK(r.ok);
        // affine = false: x alone
        auto plain = [&](const Vs& v) {
            auto m = rm.clone(), s = rv.clone();
            return batch_norm(v[0], V(), V(), m, s, {.training = k.training, .eps = 1e-3});
        };
        r = gradcheck<double, cpu>(plain, {uniform_tensor(k.s, 4, -2.0, 2.0)});
        INFO(r.report);
        CHECK(r.ok);
    }
    // without running statistics (track_running_stats = false)
    auto r = gradcheck<double, cpu>([](const Vs& v) { return batch_norm(v[0], v[1], v[2]); },
                                    {uniform_tensor({5, 2}, 7), uniform_tensor({2}, 8), uniform_tensor({2}, 9)});
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("batch_norm: training updates running statistics even under no_grad") {
    auto rm = tensor<double>::zeros({2}), rv = tensor<double>::ones({2});
    no_grad guard;
    batch_norm(V(tensor<double>::from_host({2, 2}, {0, 1, 2, 3})), V(), V(), rm, rv);
    check_values(rm.to_vector(), {0.1, 0.2}, 1e-14);                   // batch means 1 and 2
    check_values(rv.to_vector(), {0.9 + 0.2, 0.9 + 0.2}, 1e-14);       // unbiased variances 2 and 2
}

TEST_CASE("batch_norm: errors name the op and the shapes") {
    const V x(tensor<double>::zeros({4, 3, 2, 2}));
    auto rm = tensor<double>::zeros({3}), rv = tensor<double>::ones({3});
    auto bad = tensor<double>::zeros({2});
    tensor<double> none;
    CHECK_THROWS_WITH_AS(batch_norm(V(tensor<double>::zeros({4})), V(), V(), rm, rv),
                         "batch_norm: input must be [N, C], [N, C, L] or [N, C, H, W], got [4]", shape_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(tensor<double>::ones({2})), V(), rm, rv),
                         "batch_norm: weight [2] for input [4, 3, 2, 2] (expected [3])", shape_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(), V(tensor<double>::ones({3, 1})), rm, rv),
                         "batch_norm: bias [3, 1] for input [4, 3, 2, 2] (expected [3])", shape_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(), V(), bad, rv),
                         "batch_norm: running_mean [2] and running_var [3] for input [4, 3, 2, 2] (expected [3])",
                         shape_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(), V(), rm, none),
                         "batch_norm: give both running_mean and running_var, or neither", config_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(), V(), {.training = false}),
                         "batch_norm: evaluation mode needs running_mean and running_var", config_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(), V(), rm, rv, {.momentum = 1.5}),
                         "batch_norm: momentum must lie in [0, 1], got 1.5", config_error);
    CHECK_THROWS_WITH_AS(batch_norm(x, V(), V(), rm, rv, {.eps = -1}), "batch_norm: eps must not be negative, got -1",
                         config_error);
    CHECK_THROWS_WITH_AS(batch_norm(V(tensor<double>::zeros({1, 3})), V(), V(), rm, rv),
                         "batch_norm: training needs more than one value per channel, input [1, 3]", shape_error);
    CHECK_NOTHROW(batch_norm(V(tensor<double>::zeros({1, 3})), V(), V(), rm, rv, {.training = false}));
}
