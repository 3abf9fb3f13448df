// tests/optim/fixture.hpp: the setup tests/reference/optim.py runs in PyTorch, and small helpers.
//
// Two parameters, p0 [2, 3] and p1 [4], start from P0 and P1 and take three
// steps with the fixed gradients GRADS[t]; values are compared flattened, p0
// then p1 (10 numbers), as the script prints them.
#pragma once

#include <doctest/doctest.h>

#include <latent/autograd/ops/reduce.hpp>
#include <latent/autograd/tape.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

namespace optim_test {

using namespace latent;

inline const std::vector<double> P0 = {0.5, -1.0, 1.5, 2.0, -0.25, 0.0};
inline const std::vector<double> P1 = {1.0, -2.0, 3.0, 0.1};
inline const std::vector<double> GRADS[3][2] = {
    {{0.1, -0.2, 0.3, -0.4, 0.5, -0.6}, {1.0, 0.0, -1.0, 0.25}},
    {{-0.3, 0.1, 0.2, 0.0, -0.5, 0.7}, {0.5, -0.5, 2.0, -0.125}},
    {{0.2, 0.2, -0.1, 0.3, 0.0, -0.2}, {-1.0, 0.75, 0.5, 0.5}},
};

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
    return std::vector<T>(v.begin(), v.end());
}

/// p0 and p1 at their starting values, with zero gradients.
template <class T>
struct two_params {
    parameter<T> p0{"p0", tensor<T>::from_host({2, 3}, cast<T>(P0))};
    parameter<T> p1{"p1", tensor<T>::from_host({4}, cast<T>(P1))};
    std::vector<parameter<T>*> list() { return {&p0, &p1}; }

    /// Sets the gradients of step t (0-based) as the script does.
    void set_grads(int t) {
        p0.grad().copy_(tensor<T>::from_host({2, 3}, cast<T>(GRADS[t][0])));
        p1.grad().copy_(tensor<T>::from_host({4}, cast<T>(GRADS[t][1])));
    }
    /// p0's then p1's values, flattened.
    std::vector<double> values() const { return join(p0.value(), p1.value()); }
    /// State tensor k of both parameters, flattened.
    std::vector<double> state(std::size_t k) const { return join(p0.optimizer_state()[k], p1.optimizer_state()[k]); }

    static std::vector<double> join(const tensor<T>& a, const tensor<T>& b) {
        std::vector<double> out;
        for (T v : a.to_vector()) out.push_back(v);
        for (T v : b.to_vector()) out.push_back(v);
        return out;
    }
};

/// Checks got[i] against want[i] to a relative tolerance (absolute near zero).
inline void check_close(const std::vector<double>& got, const double* want, std::size_t n, double rtol,
                        double atol = 1e-15) {
    REQUIRE(got.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        INFO("element ", i, ": got ", got[i], ", want ", want[i]);
        CHECK(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]));
    }
}

/// f(x) = ½ Σ a_i (x_i - c_i)², a quadratic with curvatures 1 to 10, through autograd;
/// runs `steps` steps of `opt` on x (starting at 0) and returns max |x_i - c_i|.
template <class Opt>
double quadratic_distance(Opt& opt, parameter<double>& x, int steps) {
    const tensor<double> a = tensor<double>::from_host({4}, {1.0, 3.0, 6.0, 10.0});
    const tensor<double> c = tensor<double>::from_host({4}, {1.0, -2.0, 0.5, 3.0});
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        const var<double> d = x.as_var() - var<double>(c);
        backward(sum(var<double>(a) * square(d)) * 0.5);
        opt.step();
    }
    double worst = 0;
    const auto xv = x.value().to_vector(), cv = c.to_vector();
    for (std::size_t i = 0; i < xv.size(); ++i) worst = std::max(worst, std::abs(xv[i] - cv[i]));
    return worst;
}

/// Heap allocations made by this program (operator new is replaced in the test file that counts).
inline std::atomic<long> heap_allocations{0};

}  // namespace optim_test

/// Replaces the global operator new so that a test can count heap allocations
/// over a stretch of code. Expand once, in one test file.
/// (noinline keeps GCC from pairing the inlined malloc and free across them and warning.)
#define OPTIM_TEST_COUNT_ALLOCATIONS                                              \
    [[gnu::noinline]] void* operator new(std::size_t n) {                         \
        ++optim_test::heap_allocations;                                           \
        if (void* p = std::malloc(n == 0 ? 1 : n)) return p;                      \
        throw std::bad_alloc();                                                   \
    }                                                                             \
    [[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }    \
    [[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
