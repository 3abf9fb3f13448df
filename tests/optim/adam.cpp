#include <latent/optim/adam.hpp>
#include <latent/optim/sgd.hpp>

#include "fixture.hpp"

using namespace latent;
using namespace optim_test;

OPTIM_TEST_COUNT_ALLOCATIONS

static_assert(optimizer<adam<float>>);
static_assert(optimizer<adamw<double>>);

namespace {
/// A parameter [2] stepped by `Opt` with the given gradients; returns its values.
template <template <class, class> class Opt, class Options>
std::vector<double> run_by_hand(Options o, std::vector<double> start, const std::vector<std::vector<double>>& grads) {
    parameter<double> p("p", tensor<double>::from_host({2}, start));
    std::vector<parameter<double>*> list{&p};
    Opt<double, cpu> opt(list, o);
    for (const auto& g : grads) {
        p.grad().copy_(tensor<double>::from_host({2}, g));
        opt.step();
    }
    return p.value().to_vector();
}
}  // namespace

TEST_CASE("adam: two steps by hand") {
    // β1 0.5, β2 0.75, eps 0, lr 0.1. First element, p = 1:
    // step 1, g = 2: m = 0.5·2 = 1; v = 0.25·4 = 1; bc1 = 0.5, bc2 = 0.25;
    //   step_size = 0.1/0.5 = 0.2; denom = √1/√0.25 = 2;  p = 1 - 0.2·1/2 = 0.9
    // step 2, g = 1: m = 0.5·1 + 0.5·1 = 1; v = 0.75·1 + 0.25·1 = 1; bc1 = 0.75, bc2 = 1 - 0.5625 = 0.4375;
    //   step_size = 0.1/0.75 = 2/15; denom = 1/√0.4375;  p = 0.9 - (2/15)·√0.4375
    // Second element, p = 0, g = -1 twice:
    // step 1: m = -0.5, v = 0.25, denom = 0.5/0.5 = 1, p = 0 + 0.2·0.5 = 0.1
    // step 2: m = -0.25 - 0.5 = -0.75, v = 0.1875 + 0.25 = 0.4375, denom = √0.4375/√0.4375 = 1,
    //   p = 0.1 + (2/15)·0.75 = 0.2
    const auto o = adam_options{}.lr(0.1).betas(0.5, 0.75).eps(0);
    const auto p = run_by_hand<adam>(o, {1, 0}, {{2, -1}, {1, -1}});
    CHECK(p[0] == doctest::Approx(0.9 - (2.0 / 15.0) * std::sqrt(0.4375)).epsilon(1e-15));
    CHECK(p[1] == doctest::Approx(0.2).epsilon(1e-15));

    // eps enters after the bias correction: step 1 with eps 1 gives denom = 2 + 1 = 3, p = 1 - 0.2/3
    const auto q = run_by_hand<adam>(adam_options{}.lr(0.1).betas(0.5, 0.75).eps(1), {1, 0}, {{2, 0}});
    CHECK(q[0] == doctest::Approx(1 - 0.2 / 3).epsilon(1e-15));
    CHECK(q[1] == 0);  // a zero gradient moves nothing while the moments are zero
}

TEST_CASE("adam: weight decay is coupled, adamw's decoupled, by hand") {
    // β1 0.5, β2 0.75, eps 0, lr 0.1, wd 0.5, p = 1, g = 2.
    // Adam:  g = 2 + 0.5·1 = 2.5; m = 1.25; v = 0.25·6.25 = 1.5625; denom = 1.25/0.5 = 2.5;
    //        p = 1 - 0.2·1.25/2.5 = 0.9
    // AdamW: p = 1·(1 - 0.1·0.5) = 0.95; m = 1, v = 1, denom = 2; p = 0.95 - 0.2·1/2 = 0.85
    //   step 2, g = 1: p = 0.85·0.95 = 0.8075; m = 1, v = 1 (as in the Adam case above);
    //        p = 0.8075 - (2/15)·√0.4375
    const auto a = run_by_hand<adam>(adam_options{}.lr(0.1).betas(0.5, 0.75).eps(0).weight_decay(0.5), {1, 0}, {{2, 0}});
    CHECK(a[0] == doctest::Approx(0.9).epsilon(1e-15));
    const auto w1 = run_by_hand<adamw>(adamw_options{}.lr(0.1).betas(0.5, 0.75).eps(0).weight_decay(0.5), {1, 0},
                                       {{2, 0}});
    CHECK(w1[0] == doctest::Approx(0.85).epsilon(1e-15));
    const auto w2 = run_by_hand<adamw>(adamw_options{}.lr(0.1).betas(0.5, 0.75).eps(0).weight_decay(0.5), {1, 0},
                                       {{2, 0}, {1, 0}});
    CHECK(w2[0] == doctest::Approx(0.8075 - (2.0 / 15.0) * std::sqrt(0.4375)).epsilon(1e-15));
    // A parameter with zero gradient still decays, 2·0.95·0.95 after two steps (eps 1 keeps
    // 0/(0 + eps) finite; with eps 0 it would be 0/0, in PyTorch too).
    const auto w3 = run_by_hand<adamw>(adamw_options{}.lr(0.1).eps(1).weight_decay(0.5), {2, 0}, {{0, 0}, {0, 0}});
    CHECK(w3[0] == doctest::Approx(2 * 0.95 * 0.95).epsilon(1e-15));
    CHECK(w3[1] == 0);
}

TEST_CASE("adam: amsgrad divides by the largest second moment, by hand") {
    // β1 0.5, β2 0.75, eps 0, lr 0.1, p = 0.
    // step 1, g = 2: m = 1, v = 1, v̂ = 1, denom = 1/0.5 = 2, p = -0.2·1/2 = -0.1
    // step 2, g = 0: m = 0.5, v = 0.75, v̂ = max(1, 0.75) = 1, bc2 = 0.4375, step_size = 2/15;
    //   amsgrad:  p = -0.1 - (2/15)·0.5·√0.4375/√1
    //   plain:    p = -0.1 - (2/15)·0.5·√0.4375/√0.75
    const auto o = adam_options{}.lr(0.1).betas(0.5, 0.75).eps(0);
    const auto ams = run_by_hand<adam>(adam_options(o).amsgrad(true), {0, 0}, {{2, 0}, {0, 0}});
    const auto plain = run_by_hand<adam>(o, {0, 0}, {{2, 0}, {0, 0}});
    CHECK(ams[0] == doctest::Approx(-0.1 - (2.0 / 15.0) * 0.5 * std::sqrt(0.4375)).epsilon(1e-15));
    CHECK(plain[0] == doctest::Approx(-0.1 - (2.0 / 15.0) * 0.5 * std::sqrt(0.4375) / std::sqrt(0.75)).epsilon(1e-15));
}

// Printed by tests/reference/optim.py (torch 1.13, torch.optim.Adam / AdamW, foreach=False, float64
// except adam_float_steps, float32).
namespace torch_ref {
const double adam_steps[3][10] = {
    {0.400000009999999, -0.9000000049999998, 1.4000000033333333, 2.0999999975, -0.34999999800000003, 0.09999999833333335, 0.900000001, -2.0, 3.099999999, 3.999999831361123e-09},
    {0.44941899112006545, -0.8733663027186758, 1.3029647943301033, 2.1670058205440474, -0.34473684021052636, 0.08708318757181437, 0.8067820382981611, -1.9255863197475123, 3.0633896465279253, -0.026633698618267355},
    {0.44754022176593455, -0.9006359802389327, 1.2477756072113189, 2.1700740890530805, -0.3406684040033031, 0.0908777570081018, 0.7957037312938717, -1.9468505927536808, 3.0218245268532264, -0.09244485665433708},
};
const double adam_exp_avg[10] = {0.0011, 0.012799999999999995, 0.032299999999999995, -0.002400000000000006, -0.004499999999999998, -0.0056000000000000025, 0.025999999999999995, 0.029999999999999992, 0.14899999999999997, 0.05899999999999999};
const double adam_exp_avg_sq[10] = {0.0001398900100000001, 8.99100400000001e-05, 0.00013978009000000012, 0.00024968016000000024, 0.0004992502500000004, 0.0008887903600000007, 0.002247751000000002, 0.0008122500000000007, 0.005244001000000004, 0.0003279844375000003};

const double adam_decay_steps[3][10] = {
    {0.450199203187251, -0.9500998003992016, 1.4500665778961386, 1.9502487562189055, -0.2998826291079812, 0.049916805324459225, 0.9500384319754035, -1.9500831946755408, 3.0495049504950495, 0.050177935943060505},
    {0.4455744447785203, -0.9062234482489387, 1.400553538795076, 1.9039705363364414, -0.2865146153938837, 0.040086907047856196, 0.9022851019799935, -1.9012318480217392, 3.012304083156101, 0.03506014694684713},
    {0.4174225746141925, -0.869054028005922, 1.3546500675603255, 1.8568403517242487, -0.2724334043432625, 0.04008667531660195, 0.8865712720987796, -1.8705180728171287, 2.972403220767513, 8.778389235263029e-05},
};
const double adam_decay_exp_avg[10] = {0.07234402843969925, -0.10797819731409797, 0.2616364080667192, 0.29345017247869387, -0.0571852431208161, 1.2210784454042212e-06, 0.14613895085361897, -0.21447790422573026, 0.7343144826131283, 0.12035214974207771};
const double adam_decay_exp_avg_sq[10] = {0.018644698030924486, 0.023847734151083495, 0.09210566369447501, 0.10994551259337185, 0.04669470129847402, 0.07870045766611601, 0.24554183867189697, 0.13834183413051407, 0.9625172317417984, 0.03350121065049475};

const double adam_amsgrad_steps[3][10] = {
    {0.400000009999999, -0.9000000049999998, 1.4000000033333333, 2.0999999975, -0.34999999800000003, 0.09999999833333335, 0.900000001, -2.0, 3.099999999, 3.999999831361123e-09},
    {0.44941899112006545, -0.8733663027186758, 1.3029647943301033, 2.1669723092537914, -0.34473684021052636, 0.08708318757181437, 0.8067820382981611, -1.9255863197475123, 3.0633896465279253, -0.026633698618267355},
    {0.44754022176593455, -0.9006359802389327, 1.2477756072113189, 2.1700405777628244, -0.34067043873016584, 0.0908777570081018, 0.7957037312938717, -1.9468505927536808, 3.0218245268532264, -0.09244485665433708},
};
const double adam_amsgrad_exp_avg[10] = {0.0011, 0.012799999999999995, 0.032299999999999995, -0.002400000000000006, -0.004499999999999998, -0.0056000000000000025, 0.025999999999999995, 0.029999999999999992, 0.14899999999999997, 0.05899999999999999};
const double adam_amsgrad_exp_avg_sq[10] = {0.0001398900100000001, 8.99100400000001e-05, 0.00013978009000000012, 0.00024968016000000024, 0.0004992502500000004, 0.0008887903600000007, 0.002247751000000002, 0.0008122500000000007, 0.005244001000000004, 0.0003279844375000003};
const double adam_amsgrad_max_exp_avg_sq[10] = {0.0001398900100000001, 8.99100400000001e-05, 0.00013978009000000012, 0.00024968016000000024, 0.0004997500000000004, 0.0008887903600000007, 0.002247751000000002, 0.0008122500000000007, 0.005244001000000004, 0.0003279844375000003};

const double adamw_steps[3][10] = {
    {0.399500009999999, -0.8990000049999998, 1.3985000033333332, 2.0979999975, -0.34974999800000006, 0.09999999833333335, 0.899000001, -1.998, 3.096999999, -9.99960000001715e-05},
    {0.44851949111006545, -0.8714673027136758, 1.3000662943267698, 2.1629078205465477, -0.34413709021252636, 0.08698318757348103, 0.8048830382971611, -1.9215883197475123, 3.0572926465289254, -0.026733598622267356},
    {0.4461922022648245, -0.897865512931219, 1.2435770409136586, 2.1638131812350343, -0.3397245169150906, 0.09069077382219498, 0.7929998482545746, -1.9409310044339334, 3.0126702342076976, -0.09251802305971482},
};
const double adamw_exp_avg[10] = {0.0011, 0.012799999999999995, 0.032299999999999995, -0.002400000000000006, -0.004499999999999998, -0.0056000000000000025, 0.025999999999999995, 0.029999999999999992, 0.14899999999999997, 0.05899999999999999};
const double adamw_exp_avg_sq[10] = {0.0001398900100000001, 8.99100400000001e-05, 0.00013978009000000012, 0.00024968016000000024, 0.0004992502500000004, 0.0008887903600000007, 0.002247751000000002, 0.0008122500000000007, 0.005244001000000004, 0.0003279844375000003};

const double adamw_decay_steps[3][10] = {
    {0.4429950495049505, -0.9352487562189055, 1.4276661129568107, 2.019875311720698, -0.2961501996007984, 0.049916805324459225, 0.9350499500499501, -1.97, 3.00495004995005, 0.048699203187250996},
    {0.4630052630320767, -0.9105770160708418, 1.3580100724665203, 2.0217484628989717, -0.2861634799844755, 0.03984578120488688, 0.8746676769907826, -1.9022662410476259, 2.9391320546914663, 0.03731209611585059},
    {0.45381719218870653, -0.9147872498231504, 1.3131037952969609, 1.988265935318505, -0.2777538969321204, 0.040167455530836386, 0.860602857832187, -1.8870123884885606, 2.8722472361464497, 0.003175522047807279},
};
const double adamw_decay_exp_avg[10] = {0.004799999999999998, 0.030399999999999996, 0.05039999999999999, 0.008799999999999988, -0.015999999999999993, -0.004800000000000005, 0.008000000000000007, 0.06999999999999998, 0.2919999999999999, 0.11199999999999997};
const double adamw_decay_exp_avg_sq[10] = {0.012909999999999998, 0.00814, 0.011889999999999998, 0.021959999999999993, 0.04274999999999999, 0.07725999999999998, 0.20349999999999996, 0.07874999999999999, 0.46599999999999986, 0.03146874999999999};

const double adam_float_steps[3][10] = {
    {0.40000003576278687, -0.9000000357627869, 1.399999976158142, 2.0999999046325684, -0.3499999940395355, 0.09999998658895493, 0.8999999761581421, -1.899999976158142, 3.0999999046325684, 0.0},
    {0.43099239468574524, -0.8355117440223694, 1.3016746044158936, 2.0923001766204834, -0.3388162851333618, 0.08638835698366165, 0.8057717680931091, -1.8098797798156738, 3.0482044219970703, -0.028127344325184822},
    {0.40938520431518555, -0.8121678829193115, 1.2223626375198364, 2.0338354110717773, -0.3271568715572357, 0.08897220343351364, 0.7850507497787476, -1.7949587106704712, 2.9900078773498535, -0.09429816156625748},
};
}  // namespace torch_ref

namespace {
template <template <class, class> class Opt, class Options>
void check_against_torch(Options o, const double (&steps)[3][10], std::initializer_list<const double*> state) {
    two_params<double> ps;
    auto list = ps.list();
    Opt<double, cpu> opt(list, o);
    for (int t = 0; t < 3; ++t) {
        ps.set_grads(t);
        opt.step();
        INFO("step ", t + 1);
        check_close(ps.values(), steps[t], 10, 1e-13);
    }
    REQUIRE(ps.p0.optimizer_state().size() == state.size());
    REQUIRE(ps.p1.optimizer_state().size() == state.size());
    std::size_t k = 0;
    for (const double* want : state) {
        const std::size_t index = k++;
        INFO("state tensor ", index);
        // atol for moments that are small differences of larger terms
        check_close(ps.state(index), want, 10, 1e-13, 1e-16);
    }
    CHECK(ps.p0.optimizer_steps() == 3);
    CHECK(ps.p1.optimizer_steps() == 3);
}
}  // namespace

TEST_CASE("adam: three steps match torch.optim.Adam and AdamW") {
    using namespace torch_ref;
    SUBCASE("adam, defaults but lr") {
        check_against_torch<adam>(adam_options{}.lr(0.1), adam_steps, {adam_exp_avg, adam_exp_avg_sq});
    }
    SUBCASE("adam, weight decay, betas, eps") {
        check_against_torch<adam>(adam_options{}.lr(0.05).betas(0.8, 0.9).eps(1e-3).weight_decay(0.3),
                                  adam_decay_steps, {adam_decay_exp_avg, adam_decay_exp_avg_sq});
    }
    SUBCASE("adam, amsgrad") {
        check_against_torch<adam>(adam_options{}.lr(0.1).amsgrad(true), adam_amsgrad_steps,
                                  {adam_amsgrad_exp_avg, adam_amsgrad_exp_avg_sq, adam_amsgrad_max_exp_avg_sq});
    }
    SUBCASE("adamw, defaults but lr (weight decay 1e-2)") {
        check_against_torch<adamw>(adamw_options{}.lr(0.1), adamw_steps, {adamw_exp_avg, adamw_exp_avg_sq});
    }
    SUBCASE("adamw, weight decay, betas, eps") {
        check_against_torch<adamw>(adamw_options{}.lr(0.05).betas(0.8, 0.9).eps(1e-3).weight_decay(0.3),
                                   adamw_decay_steps, {adamw_decay_exp_avg, adamw_decay_exp_avg_sq});
    }
}

TEST_CASE("adam: float parameters match torch's float32 run") {
    two_params<float> ps;
    auto list = ps.list();
    adam opt(list, adam_options{}.lr(0.1).weight_decay(0.1));
    for (int t = 0; t < 3; ++t) {
        ps.set_grads(t);
        opt.step();
        INFO("step ", t + 1);
        check_close(ps.values(), torch_ref::adam_float_steps[t], 10, 1e-6, 1e-7);
    }
}

TEST_CASE("adam: defaults are PyTorch's") {
    const adam_options a;
    CHECK(a.lr() == 1e-3);
    CHECK(a.betas() == std::pair{0.9, 0.999});
    CHECK(a.eps() == 1e-8);
    CHECK(a.weight_decay() == 0);
    CHECK(!a.amsgrad());
    const adamw_options w;
    CHECK(w.lr() == 1e-3);
    CHECK(w.weight_decay() == 1e-2);
}

TEST_CASE("adam: converges on a quadratic") {
    // From 0 to c = (1, -2, 0.5, 3) with curvatures 1 to 10; Adam's steps are
    // about lr each, so lr 0.05 needs ~60 steps to cover 3, then settles.
    for (int kind = 0; kind < 3; ++kind) {
        parameter<double> x("x", tensor<double>::zeros({4}));
        std::vector<parameter<double>*> list{&x};
        double d = 0;
        if (kind == 0) {
            adam opt(list, adam_options{}.lr(0.05));
            d = quadratic_distance(opt, x, 1000);
        } else if (kind == 1) {
            adam opt(list, adam_options{}.lr(0.05).amsgrad(true));
            d = quadratic_distance(opt, x, 1000);
        } else {
            adamw opt(list, adamw_options{}.lr(0.05).weight_decay(0));
            d = quadratic_distance(opt, x, 1000);
        }
        INFO("kind ", kind, ": distance ", d);
        CHECK(d < 1e-6);
    }
}

TEST_CASE("adam: frozen parameters are untouched") {
    two_params<double> ps;
    ps.p0.set_trainable(false);
    auto list = ps.list();
    adamw opt(list, adamw_options{}.lr(0.1));
    ps.set_grads(0);
    opt.step();
    opt.step();
    opt.zero_grad();
    CHECK(ps.p0.value().to_vector() == P0);  // not even decayed
    CHECK(ps.p0.grad().to_vector() == GRADS[0][0]);
    CHECK(ps.p0.optimizer_state().empty());
    CHECK(ps.p0.optimizer_steps() == 0);
    CHECK(ps.p1.optimizer_steps() == 2);
    CHECK(ps.p1.value().to_vector() != P1);
}

TEST_CASE("adam: two groups stepped by two optimizers independently") {
    parameter<double> e0("enc.w", tensor<double>::from_host({3}, {1, 2, 3}), "encoder");
    parameter<double> d0("dec.w", tensor<double>::from_host({2}, {-1, 0.5}), "decoder");
    parameter<double> e1("enc.b", tensor<double>::from_host({1}, {0.25}), "encoder");
    std::vector<parameter<double>*> all{&e0, &d0, &e1};
    const auto enc = in_group(all, "encoder");
    const auto dec = in_group(all, "decoder");
    REQUIRE(enc == std::vector<parameter<double>*>{&e0, &e1});
    REQUIRE(dec == std::vector<parameter<double>*>{&d0});

    adam enc_opt(enc, adam_options{}.lr(0.1));
    adamw dec_opt(dec, adamw_options{}.lr(0.01).weight_decay(0.5));
    for (auto* p : all) p->grad().fill_(1.0);
    enc_opt.step();
    enc_opt.step();
    CHECK(d0.value().to_vector() == std::vector<double>{-1, 0.5});
    CHECK(d0.optimizer_steps() == 0);
    const auto enc_after = e0.value().to_vector();
    dec_opt.step();
    CHECK(e0.value().to_vector() == enc_after);
    CHECK(e0.optimizer_steps() == 2);
    CHECK(e1.optimizer_steps() == 2);
    CHECK(d0.optimizer_steps() == 1);

    // Each matches the same optimizer run alone: d0 took its first step (bias corrections at t = 1)
    // although the other optimizer had taken two.
    parameter<double> solo_e("e", tensor<double>::from_host({3}, {1, 2, 3}));
    parameter<double> solo_d("d", tensor<double>::from_host({2}, {-1, 0.5}));
    std::vector<parameter<double>*> se{&solo_e}, sd{&solo_d};
    adam solo_enc(se, adam_options{}.lr(0.1));
    adamw solo_dec(sd, adamw_options{}.lr(0.01).weight_decay(0.5));
    solo_e.grad().fill_(1.0);
    solo_d.grad().fill_(1.0);
    solo_enc.step();
    solo_enc.step();
    solo_dec.step();
    CHECK(e0.value().to_vector() == solo_e.value().to_vector());
    CHECK(d0.value().to_vector() == solo_d.value().to_vector());
}

TEST_CASE("adam: state lives in the parameter and resumes") {
    // Three steps in one run equal two steps, a move of value, state and step
    // count into a fresh parameter (what a checkpoint does), then one step by a new optimizer.
    two_params<double> whole;
    auto wl = whole.list();
    adam a(wl, adam_options{}.lr(0.1));
    for (int t = 0; t < 3; ++t) {
        whole.set_grads(t);
        a.step();
    }

    two_params<double> first;
    auto fl = first.list();
    adam b(fl, adam_options{}.lr(0.1));
    for (int t = 0; t < 2; ++t) {
        first.set_grads(t);
        b.step();
    }
    two_params<double> resumed;
    for (auto [from, to] : {std::pair{&first.p0, &resumed.p0}, std::pair{&first.p1, &resumed.p1}}) {
        to->value().copy_(from->value());
        for (const auto& s : from->optimizer_state()) to->optimizer_state().push_back(s.clone());
        to->optimizer_steps() = from->optimizer_steps();
    }
    auto rl = resumed.list();
    adam c(rl, adam_options{}.lr(0.1));
    resumed.set_grads(2);
    c.step();
    CHECK(resumed.values() == whole.values());
    CHECK(resumed.state(1) == whole.state(1));
}

TEST_CASE("adam: option validation names the option") {
    parameter<double> p("p", tensor<double>::ones({1}));
    std::vector<parameter<double>*> list{&p};
    using doctest::Contains;
    CHECK_THROWS_WITH_AS(adam(list, adam_options{}.lr(-1)), Contains("adam_options: lr"), config_error);
    CHECK_THROWS_WITH_AS(adam(list, adam_options{}.eps(-1e-8)), Contains("eps"), config_error);
    CHECK_THROWS_WITH_AS(adam(list, adam_options{}.betas(1.0, 0.999)), Contains("betas[0]"), config_error);
    CHECK_THROWS_WITH_AS(adam(list, adam_options{}.betas(0.9, -0.1)), Contains("betas[1]"), config_error);
    CHECK_THROWS_WITH_AS(adamw(list, adamw_options{}.weight_decay(-0.1)), Contains("adamw_options: weight_decay"),
                         config_error);
    CHECK_NOTHROW(adam(list, adam_options{}.lr(0).betas(0, 0).eps(0)));

    adam opt(list);
    CHECK_THROWS_WITH_AS(opt.set_lr(-1), Contains("adam: lr must be >= 0"), config_error);
    CHECK(opt.lr() == 1e-3);
}

TEST_CASE("adam: state of another optimizer is refused") {
    parameter<double> p("layer.w", tensor<double>::ones({3}));
    std::vector<parameter<double>*> list{&p};
    p.grad().fill_(1);
    sgd s(list, sgd_options{}.lr(0.1).momentum(0.9));
    s.step();  // leaves one momentum buffer
    adam a(list);
    CHECK_THROWS_WITH_AS(a.step(), doctest::Contains("'layer.w'"), config_error);
    adam ams(list, adam_options{}.amsgrad(true));
    p.optimizer_state().clear();
    a.step();  // two moments now
    CHECK_THROWS_AS(ams.step(), config_error);
}

TEST_CASE("adam: no allocation after the first step") {
    two_params<float> ps;
    auto list = ps.list();
    adam a(list, adam_options{}.lr(1e-3).weight_decay(1e-4).amsgrad(true));
    ps.set_grads(0);
    a.step();
    const long probe = heap_allocations.load();
    { std::vector<int> v(3); }
    REQUIRE(heap_allocations.load() > probe);  // the counter sees allocations
    const auto backend_before = arena<cpu>::instance().stats().backend_allocations;
    const long heap_before = heap_allocations.load();
    for (int i = 0; i < 10; ++i) {
        a.step();
        a.zero_grad();
        a.set_lr(a.lr() * 0.9);
    }
    const long heap_after = heap_allocations.load();
    CHECK(heap_after == heap_before);
    CHECK(arena<cpu>::instance().stats().backend_allocations == backend_before);
}
