// latent/autograd/ops/loss.hpp: losses, each one fused op with its own backward.
//
// Losses return one value per element (binary cross-entropy, squared error) or
// per row (cross-entropy), as PyTorch's reduction='none'; callers reduce with
// sum or mean, because what a batch's loss should be averaged over differs
// between models. mse is the exception, PyTorch's MSELoss with its default mean.
// Every loss that takes logits works from them directly, in the stable forms
// below, so that logits of any size give finite losses and gradients.
#pragma once

#include <cmath>
#include <cstdint>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"

namespace latent {

namespace fn {
/// softplus(x) - x·t = max(x, 0) - x·t + log1p(e^-|x|); d/dx = σ(x) - t, d/dt = -x.
struct bce_with_logits {
    static constexpr const char* name = "binary_cross_entropy_with_logits";
    template <class T> LATENT_HD T value(T x, T t) const { return stable_softplus(x) - x * t; }
    template <class T> LATENT_HD T da(T x, T t, T g) const { return g * (stable_sigmoid(x) - t); }
    template <class T> LATENT_HD T db(T x, T, T g) const { return -g * x; }
};
/// (a - b)²; d/da = 2(a - b), d/db = -2(a - b).
struct squared_difference {
    static constexpr const char* name = "squared_error";
    template <class T> LATENT_HD T value(T a, T b) const { return (a - b) * (a - b); }
    template <class T> LATENT_HD T da(T a, T b, T g) const { return T(2) * (a - b) * g; }
    template <class T> LATENT_HD T db(T a, T b, T g) const { return T(2) * (b - a) * g; }
};
}  // namespace fn

namespace kernels {
/// One row per work item: lse[r] = logsumexp(x[r]), loss[r] = lse[r] - x[r, label[r]].
template <class T>
struct cross_entropy_labels {
    const T* x;
    const std::int32_t* labels;
    T* loss;
    T* lse;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const {
        const T* row = x + r * cols;
        lse[r] = row_logsumexp(row, cols);
        loss[r] = lse[r] - row[static_cast<std::size_t>(labels[r])];
    }
};
/// dx[r, c] = g[r]·(softmax(x[r])_c - [c == label[r]])
template <class T>
struct cross_entropy_labels_backward {
    const T* x;
    const std::int32_t* labels;
    const T* lse;
    const T* g;
    T* dx;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t i) const {
        using std::exp;
        const std::size_t r = i / cols, c = i - r * cols;
        const T hot = static_cast<std::size_t>(labels[r]) == c ? T(1) : T(0);
        dx[i] = g[r] * (exp(x[i] - lse[r]) - hot);
    }
};
/// One row per work item: lse[r] = logsumexp(x[r]), loss[r] = Σ_c p[r, c]·(lse[r] - x[r, c]).
template <class T>
struct cross_entropy_probs {
    const T* x;
    const T* p;
    T* loss;
    T* lse;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const {
        const T* row = x + r * cols;
        const T* pr = p + r * cols;
        const T l = row_logsumexp(row, cols);
        T s = T(0);
        for (std::size_t c = 0; c < cols; ++c) s += pr[c] * (l - row[c]);
        lse[r] = l;
        loss[r] = s;
    }
};
/// One row per work item: dx[r, c] = g[r]·(softmax(x[r])_c·Σ_c' p[r, c'] - p[r, c]).
/// The sum of p is kept rather than taken as 1, so targets that do not sum to 1 get exact gradients.
template <class T>
struct cross_entropy_probs_backward_logits {
    const T* x;
    const T* p;
    const T* lse;
    const T* g;
    T* dx;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t r) const {
        using std::exp;
        const std::size_t base = r * cols;
        T total = T(0);
        for (std::size_t c = 0; c < cols; ++c) total += p[base + c];
        for (std::size_t c = 0; c < cols; ++c) {
            const std::size_t i = base + c;
            dx[i] = g[r] * (exp(x[i] - lse[r]) * total - p[i]);
        }
    }
};
/// dp[r, c] = -g[r]·log softmax(x[r])_c = g[r]·(lse[r] - x[r, c])
template <class T>
struct cross_entropy_probs_backward_targets {
    const T* x;
    const T* lse;
    const T* g;
    T* dp;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t i) const {
        const std::size_t r = i / cols;
        dp[i] = g[r] * (lse[r] - x[i]);
    }
};
}  // namespace kernels

/// Binary cross-entropy of logits x against targets t, per element:
/// ℓ = max(x, 0) - x·t + log1p(e^-|x|) = -[t log σ(x) + (1 - t) log(1 - σ(x))],
/// finite for any finite x. requires: x and t of the same shape (shape_error
/// naming both). Gradients: σ(x) - t for the logits, -x for the targets (which
/// may themselves require a gradient). Reduce the result yourself.
template <scalar T, backend B>
var<T, B> binary_cross_entropy_with_logits(const var<T, B>& logits, const var<T, B>& targets) {
    LATENT_CHECK(logits.shape() == targets.shape(), shape_error, "binary_cross_entropy_with_logits: logits ",
                 logits.shape(), " and targets ", targets.shape(), " differ in shape");
    return zip<fn::bce_with_logits>(logits, targets);
}

/// Cross-entropy of logits [N, C] (matrix view) against class labels [N] (or
/// [N, 1]), per row: ℓₙ = logsumexp(xₙ) - xₙ[labelₙ] → [N, 1]. One fused op;
/// backward g·(softmax(xₙ) - onehot(labelₙ)). requires: C > 0, one label per
/// row, each in [0, C) (shape_error / config_error naming the op, shapes and label).
template <scalar T, backend B>
var<T, B> cross_entropy_with_logits(const var<T, B>& logits, const tensor<std::int32_t, B>& labels) {
    LATENT_CHECK(logits.cols() > 0, shape_error, "cross_entropy_with_logits: logits ", logits.shape(),
                 " have no classes");
    detail::check_labels("cross_entropy_with_logits", "label", labels, logits.rows(), logits.cols(), logits.shape());
    const auto N = static_cast<std::size_t>(logits.rows()), C = static_cast<std::size_t>(logits.cols());
    tensor<T, B> loss(shape{logits.rows(), 1}), lse(shape{logits.rows(), 1});
    launch_coarse(B{}, N, kernels::cross_entropy_labels<T>{logits.value().data(), labels.data(), loss.data(), lse.data(), C});
    return record("cross_entropy_with_logits", loss, {&logits},
                  [x = logits.value(), labels, lse, C](tensor<T, B>& g, auto& inputs) {
                      tensor<T, B> dx(x.shape());
                      launch(B{}, dx.size(),
                             kernels::cross_entropy_labels_backward<T>{x.data(), labels.data(), lse.data(), g.data(),
                                                                       dx.data(), C});
                      inputs.add(0, std::move(dx));
                  });
}

/// Cross-entropy of logits [N, C] (matrix view) against target probabilities of
/// the same shape, per row: ℓₙ = -Σ_c pₙc log softmax(xₙ)_c → [N, 1] (PyTorch's
/// cross_entropy with probability targets). One fused op; gradients
/// g·(softmax(xₙ)·Σ_c pₙc - pₙ) for the logits and -g·log softmax(xₙ) for the
/// targets. requires: equal shapes, C > 0 (shape_error naming both shapes).
template <scalar T, backend B>
var<T, B> cross_entropy_with_logits(const var<T, B>& logits, const var<T, B>& target_probs) {
    LATENT_CHECK(logits.shape() == target_probs.shape(), shape_error, "cross_entropy_with_logits: logits ",
                 logits.shape(), " and target probabilities ", target_probs.shape(), " differ in shape");
    LATENT_CHECK(logits.cols() > 0, shape_error, "cross_entropy_with_logits: logits ", logits.shape(),
                 " have no classes");
    const auto N = static_cast<std::size_t>(logits.rows()), C = static_cast<std::size_t>(logits.cols());
    tensor<T, B> loss(shape{logits.rows(), 1}), lse(shape{logits.rows(), 1});
    launch_coarse(B{}, N,
                  kernels::cross_entropy_probs<T>{logits.value().data(), target_probs.value().data(), loss.data(),
                                                  lse.data(), C});
    return record("cross_entropy_with_logits", loss, {&logits, &target_probs},
                  [x = logits.value(), p = target_probs.value(), lse, N, C](tensor<T, B>& g, auto& inputs) {
                      if (inputs.needs(0)) {
                          tensor<T, B> dx(x.shape());
                          launch_coarse(B{}, N,
                                        kernels::cross_entropy_probs_backward_logits<T>{x.data(), p.data(), lse.data(),
                                                                                        g.data(), dx.data(), C});
                          inputs.add(0, std::move(dx));
                      }
                      if (inputs.needs(1)) {
                          tensor<T, B> dp(p.shape());
                          launch(B{}, dp.size(),
                                 kernels::cross_entropy_probs_backward_targets<T>{x.data(), lse.data(), g.data(),
                                                                                   dp.data(), C});
                          inputs.add(1, std::move(dp));
                      }
                  });
}

/// (a - b)² per element, one op. requires: a and b of the same shape (shape_error
/// naming both; no broadcasting, which in a loss usually hides a bug).
template <scalar T, backend B>
var<T, B> squared_error(const var<T, B>& a, const var<T, B>& b) {
    LATENT_CHECK(a.shape() == b.shape(), shape_error, "squared_error: ", a.shape(), " and ", b.shape(),
                 " differ in shape");
    return zip<fn::squared_difference>(a, b);
}

/// Mean squared error, (1/n) Σ (a - b)² over all n elements, as a rank-0 value
/// (PyTorch's MSELoss with reduction='mean'). requires: equal, non-empty shapes (shape_error).
template <scalar T, backend B>
var<T, B> mse(const var<T, B>& a, const var<T, B>& b) {
    LATENT_CHECK(a.shape() == b.shape(), shape_error, "mse: ", a.shape(), " and ", b.shape(), " differ in shape");
    LATENT_CHECK(a.numel() > 0, shape_error, "mse: empty tensors ", a.shape());
    return mean(squared_error(a, b));
}

}  // namespace latent
