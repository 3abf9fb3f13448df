// tests/device/compare.hpp: running the same computation on the cpu and device
// backends and comparing the results, for the device test suite.
//
// The cpu backend is the reference: every device result must lie within
// 1e-5 relative plus 1e-6 absolute of it (issue 3). Inputs come from the
// test's own std::mt19937, not from latent's generator, so that a broken
// generator cannot hide behind identical broken inputs.
#pragma once

#include <doctest/doctest.h>

#include <latent/backend/device.hpp>
#include <latent/engine.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace device_test {

using namespace latent;

inline constexpr double rtol = 1e-5;
inline constexpr double atol = 1e-6;

/// Device launches so far.
inline std::uint64_t launches() { return device_stats().launches.load(); }

/// Uniform values in [lo, hi) from std::mt19937(seed), on the cpu backend.
template <class T = float>
tensor<T> random_tensor(const latent::shape& s, std::uint32_t seed, double lo = -1.0, double hi = 1.0) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    std::vector<T> v(static_cast<std::size_t>(s.numel()));
    for (auto& x : v) x = static_cast<T>(u(gen));
    return tensor<T>::from_host(s, v);
}

/// Integers in [0, limit) from std::mt19937(seed), on the cpu backend.
inline tensor<std::int32_t> random_labels(std::int64_t n, std::int32_t limit, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::vector<std::int32_t> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<std::int32_t>(gen() % static_cast<std::uint32_t>(limit));
    return tensor<std::int32_t>::from_host(latent::shape{n}, v);
}

/// Checks |want - got| ≤ atol + rtol·|want| for every element (and equal shapes); one CHECK,
/// naming the worst element, so that a wrong kernel reports once rather than per element.
template <class T>
void check_close(const tensor<T, cpu>& want, const tensor<T, device>& got, const std::string& what) {
    REQUIRE_MESSAGE(want.shape() == got.shape(), what, ": cpu shape ", want.shape(), ", device shape ", got.shape());
    const std::vector<T> a = want.to_vector(), b = got.to_vector();
    double worst = 0;
    std::size_t at = 0, bad = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
        const bool same_special = (std::isnan(x) && std::isnan(y)) || (std::isinf(x) && x == y);
        const double excess = same_special ? 0 : std::fabs(x - y) - (atol + rtol * std::fabs(x));
        if (!(excess <= 0)) {
            ++bad;
            if (!(excess <= worst)) {
                worst = std::isnan(excess) ? INFINITY : excess;
                at = i;
            }
        }
    }
    std::ostringstream why;
    if (bad) why << what << ": " << bad << " of " << a.size() << " elements differ; worst at " << at << ": cpu "
                 << a[at] << ", device " << b[at];
    CHECK_MESSAGE(bad == 0, why.str());
}

/// Exact equality, for integers and for results that must not depend on the backend at all.
template <class T>
void check_equal(const tensor<T, cpu>& want, const tensor<T, device>& got, const std::string& what) {
    REQUIRE_MESSAGE(want.shape() == got.shape(), what, ": cpu shape ", want.shape(), ", device shape ", got.shape());
    const std::vector<T> a = want.to_vector(), b = got.to_vector();
    std::size_t bad = 0, at = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i])) {
            if (bad++ == 0) at = i;
        }
    std::ostringstream why;
    if (bad) why << what << ": " << bad << " of " << a.size() << " elements differ; first at " << at << ": cpu "
                 << +a[at] << ", device " << +b[at];
    CHECK_MESSAGE(bad == 0, why.str());
}

/// One tensor on both backends, the device copy made from the cpu one.
template <class T>
struct both {
    tensor<T, cpu> c;
    tensor<T, device> d;
    explicit both(tensor<T, cpu> t) : c(std::move(t)), d(c.template to<device>()) {}
    template <class B>
    tensor<T, B>& on() {
        if constexpr (std::is_same_v<B, cpu>) return c;
        else return d;
    }
};

/// The backend of a var or of a vector of them.
template <class V>
using backend_of = typename std::decay_t<V>::value_type::backend_type;

/// The fewest device kernels an op must launch itself: in its forward pass, and in its
/// backward closure (beyond the one kernel per gradient the tape adds into each parameter).
struct min_launches {
    std::uint64_t forward = 1;
    std::uint64_t backward = 1;
};

/// Runs `f` (a generic callable from a vector of vars to one var) on both backends with the same
/// inputs, as parameters, then backward from the output with the same random weights. Checks the
/// outputs and every input's gradient against the cpu's, and that the device pass launched device
/// kernels (a device backend that quietly ran the cpu backend's code would launch none).
template <class T = float, class F>
void check_op(const std::string& name, F&& f, const std::vector<tensor<T>>& inputs, min_launches expect = {},
              std::uint32_t seed = 99) {
    CAPTURE(name);
    std::vector<parameter<T, cpu>> pc;
    std::vector<parameter<T, device>> pd;
    pc.reserve(inputs.size());
    pd.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        pc.emplace_back(std::string("x").append(std::to_string(i)), inputs[i].clone());
        pd.emplace_back(std::string("x").append(std::to_string(i)), inputs[i].template to<device>());
    }
    std::vector<var<T, cpu>> vc;
    std::vector<var<T, device>> vd;
    for (auto& p : pc) vc.push_back(p.as_var());
    for (auto& p : pd) vd.push_back(p.as_var());

    const var<T, cpu> yc = f(vc);
    const std::uint64_t l0 = launches();
    const var<T, device> yd = f(vd);
    const std::uint64_t forward = launches() - l0;
    CHECK_MESSAGE(forward >= expect.forward, name, ": the device forward pass launched ", forward,
                  " kernels, expected at least ", expect.forward);
    check_close(yc.value(), yd.value(), name + " forward");

    const tensor<T> r = random_tensor<T>(yc.shape(), seed, 0.5, 1.5);
    tape<T, cpu>::current().backward(yc, r.clone());
    const tensor<T, device> rd = r.template to<device>();
    const std::uint64_t l1 = launches();
    tape<T, device>::current().backward(yd, rd);
    const std::uint64_t backward = launches() - l1;
    // The tape adds each parameter's gradient with one kernel per contribution; each input contributes at least once.
    CHECK_MESSAGE(backward >= expect.backward + inputs.size(), name, ": the device backward pass launched ", backward,
                  " kernels for ", inputs.size(), " inputs, expected at least ", expect.backward + inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
        check_close(pc[i].grad(), pd[i].grad(), name + " gradient of input " + std::to_string(i));
}

/// Every parameter of two modules built alike, compared in order (values only).
template <class T, class MC, class MD>
void check_parameters(MC& on_cpu, MD& on_device, const std::string& what) {
    auto a = on_cpu.parameters();
    auto b = on_device.parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i]->name() == b[i]->name());
        check_close(a[i]->value(), b[i]->value(), what + " " + a[i]->name() + " (parameter " + std::to_string(i) + ")");
    }
}

}  // namespace device_test
