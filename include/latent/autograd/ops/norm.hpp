// latent/autograd/ops/norm.hpp: batch normalisation (PyTorch's BatchNorm1d and BatchNorm2d as one op).
//
// The input is read as [N, C, S]: N samples, C channels, S values per channel
// and sample (S = 1 for [N, C], H·W for [N, C, H, W]). Statistics are per
// channel over the M = N·S values of the batch. A per-channel kernel (one work
// item per channel) computes them and, in the backward pass, the two channel
// sums the gradient needs; everything else is elementwise. Sums accumulate in
// double, so that float batches of many pixels keep their statistics exact to
// float precision.
#pragma once

#include <cmath>
#include <cstdint>

#include "latent/autograd/tape.hpp"

namespace latent {

/// Options of batch_norm, with PyTorch's defaults.
struct batch_norm_options {
    /// Normalise with the batch's statistics and update the running ones (true), or use the running ones (false).
    bool training = true;
    /// Weight of the new batch in the running statistics: r ← (1 − momentum)·r + momentum·batch. In [0, 1].
    double momentum = 0.1;
    /// Added to the variance before the square root, ≥ 0.
    double eps = 1e-5;
};

namespace kernels {

/// Per channel c: mean[c] and invstd[c] = 1/√(var + eps) of x [N, C, S], var the biased variance (two passes,
/// for accuracy); when running_mean is not null, also running_mean ← (1 − μ)·running_mean + μ·mean and
/// running_var ← (1 − μ)·running_var + μ·var·M/(M − 1) (the unbiased variance, as PyTorch). One item per channel.
template <class T>
struct batch_norm_stats {
    const T* x;
    T* mean;
    T* invstd;
    T* running_mean;
    T* running_var;
    std::int64_t N, C, S;
    double momentum, eps;

    LATENT_HD void operator()(std::size_t item) const {
        using std::sqrt;
        const auto c = static_cast<std::int64_t>(item);
        const double M = static_cast<double>(N * S);
        double sum = 0;
        for (std::int64_t n = 0; n < N; ++n) {
            const T* row = x + (n * C + c) * S;
            for (std::int64_t s = 0; s < S; ++s) sum += static_cast<double>(row[s]);
        }
        const double m = sum / M;
        double squares = 0;
        for (std::int64_t n = 0; n < N; ++n) {
            const T* row = x + (n * C + c) * S;
            for (std::int64_t s = 0; s < S; ++s) {
                const double d = static_cast<double>(row[s]) - m;
                squares += d * d;
            }
        }
        const double var = squares / M;
        mean[c] = static_cast<T>(m);
        invstd[c] = static_cast<T>(1.0 / sqrt(var + eps));
        if (running_mean) {
            running_mean[c] = static_cast<T>((1 - momentum) * static_cast<double>(running_mean[c]) + momentum * m);
            running_var[c] = static_cast<T>((1 - momentum) * static_cast<double>(running_var[c]) +
                                            momentum * var * M / (M - 1));
        }
    }
};

/// mean[c] = running_mean[c], invstd[c] = 1/√(running_var[c] + eps): the statistics of evaluation mode.
template <class T>
struct batch_norm_running {
    const T* running_mean;
    const T* running_var;
    T* mean;
    T* invstd;
    double eps;
    LATENT_HD void operator()(std::size_t c) const {
        using std::sqrt;
        mean[c] = running_mean[c];
        invstd[c] = static_cast<T>(1.0 / sqrt(static_cast<double>(running_var[c]) + eps));
    }
};

/// y = (x − mean[c])·invstd[c]·gamma[c] + beta[c] (gamma 1 and beta 0 when null). One item per (n, c), a run of S.
template <class T>
struct batch_norm_apply {
    const T* x;
    T* y;
    const T* mean;
    const T* invstd;
    const T* gamma;
    const T* beta;
    std::int64_t C, S;
    LATENT_HD void operator()(std::size_t item) const {
        const auto i = static_cast<std::int64_t>(item);
        const std::int64_t c = i % C;
        const T scale = invstd[c] * (gamma ? gamma[c] : T(1)), m = mean[c], shift = beta ? beta[c] : T(0);
        const T* in = x + i * S;
        T* out = y + i * S;
        for (std::int64_t s = 0; s < S; ++s) out[s] = (in[s] - m) * scale + shift;
    }
};

/// Per channel c: sum_g[c] = Σ g and sum_gx[c] = Σ g·x̂ over n and s, x̂ = (x − mean[c])·invstd[c].
/// These are dβ and dγ. One item per channel.
template <class T>
struct batch_norm_grad_sums {
    const T* x;
    const T* g;
    const T* mean;
    const T* invstd;
    T* sum_g;
    T* sum_gx;
    std::int64_t N, C, S;
    LATENT_HD void operator()(std::size_t item) const {
        const auto c = static_cast<std::int64_t>(item);
        const double m = static_cast<double>(mean[c]);
        double sg = 0, sgx = 0;
        for (std::int64_t n = 0; n < N; ++n) {
            const std::int64_t off = (n * C + c) * S;
            for (std::int64_t s = 0; s < S; ++s) {
                const double gv = static_cast<double>(g[off + s]);
                sg += gv;
                sgx += gv * (static_cast<double>(x[off + s]) - m);
            }
        }
        sum_g[c] = static_cast<T>(sg);
        sum_gx[c] = static_cast<T>(sgx * static_cast<double>(invstd[c]));
    }
};

/// dx = γ·invstd·(g − sum_g/M − x̂·sum_gx/M) through the batch statistics (training), or dx = γ·invstd·g when
/// sum_g is null (evaluation: the statistics are constants). One item per (n, c), a run of S.
template <class T>
struct batch_norm_dx {
    const T* x;
    const T* g;
    const T* mean;
    const T* invstd;
    const T* gamma;
    const T* sum_g;
    const T* sum_gx;
    T* dx;
    std::int64_t C, S;
    T inv_m;  // 1/M
    LATENT_HD void operator()(std::size_t item) const {
        const auto i = static_cast<std::int64_t>(item);
        const std::int64_t c = i % C;
        const T is = invstd[c], scale = is * (gamma ? gamma[c] : T(1));
        const T* xi = x + i * S;
        const T* gi = g + i * S;
        T* out = dx + i * S;
        if (sum_g) {
            const T a = sum_g[c] * inv_m, b = sum_gx[c] * inv_m, m = mean[c];
            for (std::int64_t s = 0; s < S; ++s) out[s] = scale * (gi[s] - a - (xi[s] - m) * is * b);
        } else {
            for (std::int64_t s = 0; s < S; ++s) out[s] = scale * gi[s];
        }
    }
};

}  // namespace kernels

namespace detail {
/// Runs a kernel over `rows` items of `len` elements each: in parallel from two rows when rows are long
/// (BatchNorm2d's planes), by the fine-grained rule when they are single values (BatchNorm1d).
template <backend B, class Kernel>
void launch_rows(std::int64_t rows, std::int64_t len, Kernel f) {
    if (len >= 64) launch_coarse(B{}, static_cast<std::size_t>(rows), f);
    else launch(B{}, static_cast<std::size_t>(rows), f);
}
}  // namespace detail

/// Batch normalisation: y = (x − μ)/√(σ² + eps)·γ + β per channel, PyTorch's batch_norm.
/// requires: x [N, C], [N, C, L] or [N, C, H, W]; gamma and beta [C] vars, or undefined vars (γ = 1, β = 0:
///           affine = false); running_mean and running_var [C] tensors, or both undefined (no running statistics,
///           training mode only); 0 ≤ momentum ≤ 1, eps ≥ 0; in training, more than one value per channel.
/// ensures:  training: μ and σ² are the batch's mean and biased variance over N and the spatial extents, and
///           gradients flow through them; the running statistics, when given, are updated in place as
///           r ← (1 − momentum)·r + momentum·b, with the unbiased variance for running_var (even under no_grad).
///           Evaluation: μ and σ² are the running statistics, read as constants. Gradients for x, gamma and beta.
template <scalar T, backend B>
var<T, B> batch_norm(const var<T, B>& x, const var<T, B>& gamma, const var<T, B>& beta, tensor<T, B>& running_mean,
                     tensor<T, B>& running_var, batch_norm_options opt = {}) {
    LATENT_CHECK(x.shape().rank() >= 2, shape_error,
                 "batch_norm: input must be [N, C], [N, C, L] or [N, C, H, W], got ", x.shape());
    const std::int64_t N = x.dim(0), C = x.dim(1), S = N * C > 0 ? x.numel() / (N * C) : 0;
    const shape channels{C};
    LATENT_CHECK(!gamma.value().defined() || gamma.shape() == channels, shape_error, "batch_norm: weight ",
                 gamma.shape(), " for input ", x.shape(), " (expected [", C, "])");
    LATENT_CHECK(!beta.value().defined() || beta.shape() == channels, shape_error, "batch_norm: bias ", beta.shape(),
                 " for input ", x.shape(), " (expected [", C, "])");
    LATENT_CHECK(running_mean.defined() == running_var.defined(), config_error,
                 "batch_norm: give both running_mean and running_var, or neither");
    const bool tracking = running_mean.defined();
    LATENT_CHECK(!tracking || (running_mean.shape() == channels && running_var.shape() == channels), shape_error,
                 "batch_norm: running_mean ", running_mean.shape(), " and running_var ", running_var.shape(),
                 " for input ", x.shape(), " (expected [", C, "])");
    LATENT_CHECK(opt.training || tracking, config_error,
                 "batch_norm: evaluation mode needs running_mean and running_var");
    LATENT_CHECK(opt.momentum >= 0 && opt.momentum <= 1, config_error, "batch_norm: momentum must lie in [0, 1], got ",
                 opt.momentum);
    LATENT_CHECK(opt.eps >= 0, config_error, "batch_norm: eps must not be negative, got ", opt.eps);
    LATENT_CHECK(!opt.training || N * S > 1, shape_error,
                 "batch_norm: training needs more than one value per channel, input ", x.shape());
    using std::size_t;

    tensor<T, B> mean(channels), invstd(channels);
    if (opt.training) {
        launch_coarse(B{}, static_cast<size_t>(C),
                      kernels::batch_norm_stats<T>{x.value().data(), mean.data(), invstd.data(),
                                                   tracking ? running_mean.data() : nullptr,
                                                   tracking ? running_var.data() : nullptr, N, C, S, opt.momentum,
                                                   opt.eps});
    } else {
        launch(B{}, static_cast<size_t>(C),
               kernels::batch_norm_running<T>{running_mean.data(), running_var.data(), mean.data(), invstd.data(),
                                              opt.eps});
    }
    const T* gp = gamma.value().defined() ? gamma.value().data() : nullptr;
    const T* bp = beta.value().defined() ? beta.value().data() : nullptr;
    tensor<T, B> y(x.shape());
    detail::launch_rows<B>(N * C, S, kernels::batch_norm_apply<T>{x.value().data(), y.data(), mean.data(),
                                                                  invstd.data(), gp, bp, C, S});

    return record("batch_norm", y, {&x, &gamma, &beta},
                  [x = x.value(), gamma = gamma.value(), mean, invstd, N, C, S,
                   training = opt.training](tensor<T, B>& g, auto& inputs) {
                      // The channel sums are dβ and dγ, and in training also part of dx.
                      const bool sums = training || inputs.needs(1) || inputs.needs(2);
                      tensor<T, B> sum_g, sum_gx;
                      if (sums) {
                          sum_g = tensor<T, B>(shape{C});
                          sum_gx = tensor<T, B>(shape{C});
                          launch_coarse(B{}, static_cast<size_t>(C),
                                        kernels::batch_norm_grad_sums<T>{x.data(), g.data(), mean.data(),
                                                                         invstd.data(), sum_g.data(), sum_gx.data(),
                                                                         N, C, S});
                      }
                      if (inputs.needs(0)) {
                          tensor<T, B> dx(x.shape());
                          detail::launch_rows<B>(
                              N * C, S,
                              kernels::batch_norm_dx<T>{x.data(), g.data(), mean.data(), invstd.data(),
                                                        gamma.defined() ? gamma.data() : nullptr,
                                                        training ? sum_g.data() : nullptr, sum_gx.data(), dx.data(),
                                                        C, S, T(1) / T(N * S)});
                          inputs.add(0, std::move(dx));
                      }
                      if (sums) {
                          inputs.add(1, std::move(sum_gx));
                          inputs.add(2, std::move(sum_g));
                      }
                  });
}

/// batch_norm without running statistics (training mode only, as PyTorch's track_running_stats = false).
template <scalar T, backend B>
var<T, B> batch_norm(const var<T, B>& x, const var<T, B>& gamma, const var<T, B>& beta, batch_norm_options opt = {}) {
    tensor<T, B> none_mean, none_var;
    return batch_norm(x, gamma, beta, none_mean, none_var, opt);
}

}  // namespace latent
