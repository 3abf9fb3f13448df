// latent/testing/gradcheck.hpp: finite-difference gradient checks for ops and layers.
//
// Shipped with the library so that users can check their own layers as we
// check ours. The function under test maps input vars to one output var of
// any shape; the checker contracts the output with fixed random weights r to a
// scalar L = Σ r·f(x), and compares dL/dx from backward with central
// differences (L(x + ε) - L(x - ε)) / 2ε, element by element.
//
// requires: f is deterministic (seed any randomness inside it); T = double for
//           tight tolerances.
// ensures:  result.ok is false, with the worst element named in result.report,
//           when any analytic derivative is off by more than atol + rtol·|numeric|.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "latent/autograd/ops/reduce.hpp"

namespace latent::testing {

struct gradcheck_options {
    double eps = 1e-6;
    double rtol = 1e-5;
    double atol = 1e-7;
    std::uint32_t seed = 12345;
    /// Also check that a second backward without zero_grad doubles the gradient (accumulation).
    bool check_accumulation = true;
};

struct gradcheck_result {
    bool ok = true;
    double max_abs_error = 0;
    std::string report;  // the worst mismatch, or why the check failed
};

template <scalar T, backend B, class F>
gradcheck_result gradcheck(F&& f, const std::vector<tensor<T, B>>& inputs, gradcheck_options opt = {}) {
    using var_t = var<T, B>;
    std::vector<parameter<T, B>> params;
    params.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) params.emplace_back("input" + std::to_string(i), inputs[i].clone());

    auto evaluate = [&]() -> var_t {
        std::vector<var_t> vars;
        for (auto& p : params) vars.push_back(p.as_var());
        return f(vars);
    };

    // the fixed contraction weights r
    tensor<T, B> weights;
    {
        no_grad guard;
        const var_t probe = evaluate();
        std::mt19937 gen(opt.seed);
        std::uniform_real_distribution<double> u(0.5, 1.5);
        std::vector<T> r(probe.value().size());
        for (auto& v : r) v = T(gen() % 2 ? u(gen) : -u(gen));
        weights = tensor<T, B>::from_host(probe.shape(), r);
    }
    auto loss = [&]() { return sum(evaluate() * var_t(weights)); };

    gradcheck_result result;
    auto fail = [&](std::string why) {
        result.ok = false;
        result.report = std::move(why);
        return result;
    };

    tape<T, B>::current().clear();
    backward(loss());
    std::vector<std::vector<T>> analytic;
    for (auto& p : params) analytic.push_back(p.grad().to_vector());

    double worst = -1;
    for (std::size_t i = 0; i < params.size(); ++i) {
        std::vector<T> host = params[i].value().to_vector();
        for (std::size_t j = 0; j < host.size(); ++j) {
            const T saved = host[j];
            auto at = [&](T v) {
                host[j] = v;
                copy_from_host(B{}, params[i].value().data(), host.data(), host.size() * sizeof(T));
                no_grad guard;
                return static_cast<double>(loss().item());
            };
            const double plus = at(T(saved + opt.eps)), minus = at(T(saved - opt.eps));
            at(saved);
            const double numeric = (plus - minus) / (2 * opt.eps);
            const double a = static_cast<double>(analytic[i][j]);
            const double err = std::fabs(a - numeric);
            const double excess = err - (opt.atol + opt.rtol * std::fabs(numeric));
            result.max_abs_error = std::max(result.max_abs_error, err);
            if (excess > 0 && excess > worst) {
                worst = excess;
                std::ostringstream why;
                why << "input " << i << " " << params[i].shape() << ", element " << j << ": backward gives " << a
                    << ", central differences give " << numeric << " (|error| " << err << ")";
                result.ok = false;
                result.report = why.str();
            }
        }
    }
    if (!result.ok) return result;

    if (opt.check_accumulation) {
        backward(loss());  // no zero_grad: must add the same gradient again
        for (std::size_t i = 0; i < params.size(); ++i) {
            const std::vector<T> twice = params[i].grad().to_vector();
            for (std::size_t j = 0; j < twice.size(); ++j) {
                const double expect = 2 * static_cast<double>(analytic[i][j]);
                if (std::fabs(twice[j] - expect) > opt.atol + opt.rtol * std::fabs(expect)) {
                    std::ostringstream why;
                    why << "input " << i << ", element " << j << ": a second backward left " << twice[j]
                        << " instead of accumulating to " << expect;
                    return fail(why.str());
                }
            }
        }
    }
    return result;
}

/// A tensor of uniform values in [lo, hi] from a fixed seed, for test inputs.
template <scalar T = double, backend B = cpu>
tensor<T, B> uniform_tensor(const shape& s, std::uint32_t seed, double lo = -1.0, double hi = 1.0) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    std::vector<T> v(static_cast<std::size_t>(s.numel()));
    for (auto& x : v) x = T(u(gen));
    return tensor<T, B>::from_host(s, v);
}

}  // namespace latent::testing
