// latent/autograd/ops/elementwise.hpp: elementwise ops and their gradients.
//
// Unary ops are small functor pairs (value, derivative) run by one generic
// `map` op; binary arithmetic broadcasts as NumPy does (detail/broadcast.hpp)
// and sums gradients back down to each operand's shape.
#pragma once

#include <cmath>

#include "latent/autograd/ops/detail/broadcast.hpp"
#include "latent/autograd/tape.hpp"

namespace latent {

// ---------------------------------------------------------------------------
// Unary functions: `value(x)` and `derivative(x, y)` with y = value(x).
// ---------------------------------------------------------------------------
namespace fn {

/// Numerically stable pieces shared by several functions.
template <class T>
LATENT_HD T stable_sigmoid(T x) {
    using std::exp;
    if (x >= T(0)) return T(1) / (T(1) + exp(-x));
    const T e = exp(x);
    return e / (T(1) + e);
}
/// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^-|x|), which never overflows.
template <class T>
LATENT_HD T stable_softplus(T x) {
    using std::exp;
    using std::log1p;
    using std::fabs;
    return (x > T(0) ? x : T(0)) + log1p(exp(-fabs(x)));
}

struct neg {
    static constexpr const char* name = "neg";
    template <class T> LATENT_HD T value(T x) const { return -x; }
    template <class T> LATENT_HD T derivative(T, T) const { return T(-1); }
};
struct exp {
    static constexpr const char* name = "exp";
    template <class T> LATENT_HD T value(T x) const { using std::exp; return exp(x); }
    template <class T> LATENT_HD T derivative(T, T y) const { return y; }
};
struct log {
    static constexpr const char* name = "log";
    template <class T> LATENT_HD T value(T x) const { using std::log; return log(x); }
    template <class T> LATENT_HD T derivative(T x, T) const { return T(1) / x; }
};
struct log1p {
    static constexpr const char* name = "log1p";
    template <class T> LATENT_HD T value(T x) const { using std::log1p; return log1p(x); }
    template <class T> LATENT_HD T derivative(T x, T) const { return T(1) / (T(1) + x); }
};
struct softplus {
    static constexpr const char* name = "softplus";
    template <class T> LATENT_HD T value(T x) const { return stable_softplus(x); }
    template <class T> LATENT_HD T derivative(T x, T) const { return stable_sigmoid(x); }
};
struct sigmoid {
    static constexpr const char* name = "sigmoid";
    template <class T> LATENT_HD T value(T x) const { return stable_sigmoid(x); }
    template <class T> LATENT_HD T derivative(T, T y) const { return y * (T(1) - y); }
};
/// log σ(x) = -softplus(-x)
struct log_sigmoid {
    static constexpr const char* name = "log_sigmoid";
    template <class T> LATENT_HD T value(T x) const { return -stable_softplus(-x); }
    template <class T> LATENT_HD T derivative(T x, T) const { return stable_sigmoid(-x); }
};
struct tanh {
    static constexpr const char* name = "tanh";
    template <class T> LATENT_HD T value(T x) const { using std::tanh; return tanh(x); }
    template <class T> LATENT_HD T derivative(T, T y) const { return T(1) - y * y; }
};
struct relu {
    static constexpr const char* name = "relu";
    template <class T> LATENT_HD T value(T x) const { return x > T(0) ? x : T(0); }
    template <class T> LATENT_HD T derivative(T x, T) const { return x > T(0) ? T(1) : T(0); }
};
struct leaky_relu {
    static constexpr const char* name = "leaky_relu";
    double slope;
    template <class T> LATENT_HD T value(T x) const { return x > T(0) ? x : T(slope) * x; }
    template <class T> LATENT_HD T derivative(T x, T) const { return x > T(0) ? T(1) : T(slope); }
};
struct square {
    static constexpr const char* name = "square";
    template <class T> LATENT_HD T value(T x) const { return x * x; }
    template <class T> LATENT_HD T derivative(T x, T) const { return T(2) * x; }
};
struct sqrt {
    static constexpr const char* name = "sqrt";
    template <class T> LATENT_HD T value(T x) const { using std::sqrt; return sqrt(x); }
    template <class T> LATENT_HD T derivative(T, T y) const { return T(0.5) / y; }
};
/// |x|, with derivative sign(x) and 0 at 0 (PyTorch's choice).
struct abs {
    static constexpr const char* name = "abs";
    template <class T> LATENT_HD T value(T x) const { using std::fabs; return fabs(x); }
    template <class T> LATENT_HD T derivative(T x, T) const { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};
/// min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi (PyTorch's choice at the bounds).
struct clamp {
    static constexpr const char* name = "clamp";
    double lo, hi;
    template <class T> LATENT_HD T value(T x) const { return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x); }
    template <class T> LATENT_HD T derivative(T x, T) const { return (x >= T(lo) && x <= T(hi)) ? T(1) : T(0); }
};
struct add_scalar {
    static constexpr const char* name = "add_scalar";
    double s;
    template <class T> LATENT_HD T value(T x) const { return x + T(s); }
    template <class T> LATENT_HD T derivative(T, T) const { return T(1); }
};
struct mul_scalar {
    static constexpr const char* name = "mul_scalar";
    double s;
    template <class T> LATENT_HD T value(T x) const { return x * T(s); }
    template <class T> LATENT_HD T derivative(T, T) const { return T(s); }
};
/// s / x
struct scalar_div {
    static constexpr const char* name = "scalar_div";
    double s;
    template <class T> LATENT_HD T value(T x) const { return T(s) / x; }
    template <class T> LATENT_HD T derivative(T x, T y) const { return -y / x; }
};
/// xᵖ for a constant p
struct pow_scalar {
    static constexpr const char* name = "pow";
    double p;
    template <class T> LATENT_HD T value(T x) const { using std::pow; return pow(x, T(p)); }
    template <class T> LATENT_HD T derivative(T x, T) const { using std::pow; return T(p) * pow(x, T(p - 1)); }
};

}  // namespace fn

/// A unary function: `value(x)` and `derivative(x, value(x))`, both LATENT_HD, and a `name`.
template <class F, class T>
concept unary_function = requires(const F f, T x) {
    { F::name } -> std::convertible_to<const char*>;
    { f.value(x) } -> std::convertible_to<T>;
    { f.derivative(x, x) } -> std::convertible_to<T>;
};

namespace kernels {
template <class T, class F>
struct map_forward {
    const T* x;
    T* y;
    F f;
    LATENT_HD void operator()(std::size_t i) const { y[i] = f.value(x[i]); }
};
template <class T, class F>
struct map_backward {
    const T* x;
    const T* y;
    const T* g;
    T* dx;
    F f;
    LATENT_HD void operator()(std::size_t i) const { dx[i] = g[i] * f.derivative(x[i], y[i]); }
};
}  // namespace kernels

/// y = f(x) elementwise, with dy/dx = f.derivative(x, y).
template <scalar T, backend B, unary_function<T> F>
var<T, B> map(const var<T, B>& x, F f) {
    tensor<T, B> y(x.shape());
    launch(B{}, y.size(), kernels::map_forward<T, F>{x.value().data(), y.data(), f});
    return record(F::name, y, {&x}, [x = x.value(), y, f](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(x.shape());
        launch(B{}, dx.size(), kernels::map_backward<T, F>{x.data(), y.data(), g.data(), dx.data(), f});
        inputs.add(0, std::move(dx));
    });
}

template <scalar T, backend B> var<T, B> neg(const var<T, B>& x) { return map(x, fn::neg{}); }
template <scalar T, backend B> var<T, B> exp(const var<T, B>& x) { return map(x, fn::exp{}); }
template <scalar T, backend B> var<T, B> log(const var<T, B>& x) { return map(x, fn::log{}); }
template <scalar T, backend B> var<T, B> log1p(const var<T, B>& x) { return map(x, fn::log1p{}); }
template <scalar T, backend B> var<T, B> softplus(const var<T, B>& x) { return map(x, fn::softplus{}); }
template <scalar T, backend B> var<T, B> sigmoid(const var<T, B>& x) { return map(x, fn::sigmoid{}); }
template <scalar T, backend B> var<T, B> log_sigmoid(const var<T, B>& x) { return map(x, fn::log_sigmoid{}); }
template <scalar T, backend B> var<T, B> tanh(const var<T, B>& x) { return map(x, fn::tanh{}); }
template <scalar T, backend B> var<T, B> relu(const var<T, B>& x) { return map(x, fn::relu{}); }
template <scalar T, backend B> var<T, B> leaky_relu(const var<T, B>& x, double slope = 0.01) {
    return map(x, fn::leaky_relu{slope});
}
template <scalar T, backend B> var<T, B> square(const var<T, B>& x) { return map(x, fn::square{}); }
template <scalar T, backend B> var<T, B> sqrt(const var<T, B>& x) { return map(x, fn::sqrt{}); }
template <scalar T, backend B> var<T, B> abs(const var<T, B>& x) { return map(x, fn::abs{}); }
template <scalar T, backend B> var<T, B> pow(const var<T, B>& x, double p) { return map(x, fn::pow_scalar{p}); }
/// Clamps to [lo, hi]; throws config_error if lo > hi.
template <scalar T, backend B> var<T, B> clamp(const var<T, B>& x, double lo, double hi) {
    LATENT_CHECK(lo <= hi, config_error, "clamp: lower bound ", lo, " above upper bound ", hi);
    return map(x, fn::clamp{lo, hi});
}

template <scalar T, backend B> var<T, B> operator-(const var<T, B>& x) { return neg(x); }
template <scalar T, backend B> var<T, B> operator+(const var<T, B>& x, double s) { return map(x, fn::add_scalar{s}); }
template <scalar T, backend B> var<T, B> operator+(double s, const var<T, B>& x) { return map(x, fn::add_scalar{s}); }
template <scalar T, backend B> var<T, B> operator-(const var<T, B>& x, double s) { return map(x, fn::add_scalar{-s}); }
template <scalar T, backend B> var<T, B> operator-(double s, const var<T, B>& x) {
    return map(neg(x), fn::add_scalar{s});
}
template <scalar T, backend B> var<T, B> operator*(const var<T, B>& x, double s) { return map(x, fn::mul_scalar{s}); }
template <scalar T, backend B> var<T, B> operator*(double s, const var<T, B>& x) { return map(x, fn::mul_scalar{s}); }
template <scalar T, backend B> var<T, B> operator/(const var<T, B>& x, double s) {
    return map(x, fn::mul_scalar{1.0 / s});
}
template <scalar T, backend B> var<T, B> operator/(double s, const var<T, B>& x) { return map(x, fn::scalar_div{s}); }

// ---------------------------------------------------------------------------
// Binary arithmetic with broadcasting.
// ---------------------------------------------------------------------------
namespace fn {
struct add {
    static constexpr const char* name = "add";
    template <class T> LATENT_HD T value(T a, T b) const { return a + b; }
    template <class T> LATENT_HD T da(T, T, T g) const { return g; }
    template <class T> LATENT_HD T db(T, T, T g) const { return g; }
};
struct sub {
    static constexpr const char* name = "sub";
    template <class T> LATENT_HD T value(T a, T b) const { return a - b; }
    template <class T> LATENT_HD T da(T, T, T g) const { return g; }
    template <class T> LATENT_HD T db(T, T, T g) const { return -g; }
};
struct mul {
    static constexpr const char* name = "mul";
    template <class T> LATENT_HD T value(T a, T b) const { return a * b; }
    template <class T> LATENT_HD T da(T, T b, T g) const { return g * b; }
    template <class T> LATENT_HD T db(T a, T, T g) const { return g * a; }
};
struct div {
    static constexpr const char* name = "div";
    template <class T> LATENT_HD T value(T a, T b) const { return a / b; }
    template <class T> LATENT_HD T da(T, T b, T g) const { return g / b; }
    template <class T> LATENT_HD T db(T a, T b, T g) const { return -g * a / (b * b); }
};
}  // namespace fn

namespace kernels {
template <class T, class F>
struct zip_forward {
    const T* a;
    const T* b;
    T* y;
    detail::broadcast_map ma, mb;
    F f;
    LATENT_HD void operator()(std::size_t i) const {
        const auto k = static_cast<std::int64_t>(i);
        y[i] = f.value(a[ma(k)], b[mb(k)]);
    }
};
/// d(out)/d(operand) per output element, before summing down to the operand's shape.
template <class T, class F, bool WrtA>
struct zip_backward {
    const T* a;
    const T* b;
    const T* g;
    T* d;
    detail::broadcast_map ma, mb;
    F f;
    LATENT_HD void operator()(std::size_t i) const {
        const auto k = static_cast<std::int64_t>(i);
        if constexpr (WrtA) d[i] = f.da(a[ma(k)], b[mb(k)], g[i]);
        else d[i] = f.db(a[ma(k)], b[mb(k)], g[i]);
    }
};
}  // namespace kernels

/// y = f(a, b) with NumPy broadcasting; gradients are summed back to each operand's shape.
template <class F, scalar T, backend B>
var<T, B> zip(const var<T, B>& a, const var<T, B>& b, F f = {}) {
    const shape out = detail::broadcast_shapes(F::name, a.shape(), b.shape());
    const auto ma = detail::make_broadcast_map(a.shape(), out), mb = detail::make_broadcast_map(b.shape(), out);
    tensor<T, B> y(out);
    launch(B{}, y.size(), kernels::zip_forward<T, F>{a.value().data(), b.value().data(), y.data(), ma, mb, f});
    return record(F::name, y, {&a, &b}, [a = a.value(), b = b.value(), ma, mb, f](tensor<T, B>& g, auto& inputs) {
        if (inputs.needs(0)) {
            tensor<T, B> d(g.shape());
            launch(B{}, d.size(), kernels::zip_backward<T, F, true>{a.data(), b.data(), g.data(), d.data(), ma, mb, f});
            inputs.add(0, detail::reduce_to_shape(std::move(d), a.shape()));
        }
        if (inputs.needs(1)) {
            tensor<T, B> d(g.shape());
            launch(B{}, d.size(), kernels::zip_backward<T, F, false>{a.data(), b.data(), g.data(), d.data(), ma, mb, f});
            inputs.add(1, detail::reduce_to_shape(std::move(d), b.shape()));
        }
    });
}

template <scalar T, backend B> var<T, B> operator+(const var<T, B>& a, const var<T, B>& b) { return zip<fn::add>(a, b); }
template <scalar T, backend B> var<T, B> operator-(const var<T, B>& a, const var<T, B>& b) { return zip<fn::sub>(a, b); }
template <scalar T, backend B> var<T, B> operator*(const var<T, B>& a, const var<T, B>& b) { return zip<fn::mul>(a, b); }
template <scalar T, backend B> var<T, B> operator/(const var<T, B>& a, const var<T, B>& b) { return zip<fn::div>(a, b); }

}  // namespace latent
