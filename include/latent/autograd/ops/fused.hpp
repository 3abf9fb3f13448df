// latent/autograd/ops/fused.hpp: fused ops, one kernel where the plain ops would take several.
//
// A VAE's sampling step written with plain ops (softplus, add, exp for ε,
// mul, add, square, log, sums) launches about ten kernels forward and as many
// backward, each reading and writing the whole [n, d] block; on a GPU those
// launches, not the arithmetic, are the step's cost. The fused op below does
// the forward in one launch and each backward in one launch, with the same
// functors on both backends (launch_coarse: one item per row).
#pragma once

#include <cmath>
#include <cstddef>

#include "latent/autograd/tape.hpp"
#include "latent/autograd/ops/elementwise.hpp"
#include "latent/core/rng.hpp"

namespace latent {

/// How a raw, unconstrained parameter becomes a standard deviation σ > 0.
enum class scale_param {
    /// σ = softplus(raw) + floor (the floor keeps log σ and 1/σ finite when raw → -∞).
    softplus,
    /// raw is log σ², so σ = exp(raw / 2) (Kingma & Welling's parameterisation; floor unused).
    log_var,
};

/// Options of gaussian_sample_kl: `reparam_options{}.scale(scale_param::softplus).floor(1e-4)` are the defaults.
struct reparam_options {
    reparam_options& scale(scale_param v) { scale_ = v; return *this; }
    reparam_options& floor(double v) { floor_ = v; return *this; }
    scale_param scale() const { return scale_; }
    double floor() const { return floor_; }

private:
    scale_param scale_ = scale_param::softplus;
    double floor_ = 1e-4;
};

namespace kernels {

/// σ, log σ and dσ/draw of one raw value under a scale_param.
template <class T>
struct gaussian_scale {
    scale_param kind;
    T floor;
    LATENT_HD void operator()(T raw, T& sigma, T& log_sigma, T& dsigma) const {
        using std::exp;
        using std::log;
        if (kind == scale_param::log_var) {
            sigma = exp(raw / T(2));
            log_sigma = raw / T(2);
            dsigma = sigma / T(2);
        } else {
            sigma = fn::stable_softplus(raw) + floor;
            log_sigma = log(sigma);
            dsigma = fn::stable_sigmoid(raw);
        }
    }
};

/// Row r of the fused sample: z[r, j] = μ[r, j] + σ[r, j]·ε[r, j] with ε the standard normal of
/// element r·d + j of `eps`, and kl[r] = Σ_j ½(σ² + μ² − 1) − log σ (KL(N(μ, σ²) ‖ N(0, I))).
template <class T>
struct gaussian_sample_kl_forward {
    const T* loc;
    const T* raw;
    T* z;
    T* kl;
    philox_range eps;
    gaussian_scale<T> scale;
    std::size_t d;
    LATENT_HD void operator()(std::size_t r) const {
        T sum = 0;
        for (std::size_t j = r * d; j < (r + 1) * d; ++j) {
            T sigma, log_sigma, ds;
            scale(raw[j], sigma, log_sigma, ds);
            const T mu = loc[j];
            z[j] = mu + sigma * static_cast<T>(eps.normal(j));
            sum += T(0.5) * (sigma * sigma + mu * mu - T(1)) - log_sigma;
        }
        kl[r] = sum;
    }
};

/// Backward of z for row r: dμ = g, draw = g·ε·dσ/draw. Either output may be null (not needed).
template <class T>
struct gaussian_sample_backward {
    const T* raw;
    const T* g;
    T* dloc;
    T* draw;
    philox_range eps;
    gaussian_scale<T> scale;
    std::size_t d;
    LATENT_HD void operator()(std::size_t r) const {
        for (std::size_t j = r * d; j < (r + 1) * d; ++j) {
            if (dloc) dloc[j] = g[j];
            if (draw) {
                T sigma, log_sigma, ds;
                scale(raw[j], sigma, log_sigma, ds);
                draw[j] = g[j] * static_cast<T>(eps.normal(j)) * ds;
            }
        }
    }
};

/// Backward of kl for row r: dμ = g[r]·μ, draw = g[r]·(σ − 1/σ)·dσ/draw. Either output may be null.
template <class T>
struct gaussian_kl_backward {
    const T* loc;
    const T* raw;
    const T* g;
    T* dloc;
    T* draw;
    gaussian_scale<T> scale;
    std::size_t d;
    LATENT_HD void operator()(std::size_t r) const {
        const T gr = g[r];
        for (std::size_t j = r * d; j < (r + 1) * d; ++j) {
            if (dloc) dloc[j] = gr * loc[j];
            if (draw) {
                T sigma, log_sigma, ds;
                scale(raw[j], sigma, log_sigma, ds);
                draw[j] = gr * (sigma - T(1) / sigma) * ds;
            }
        }
    }
};

}  // namespace kernels

/// The two results of gaussian_sample_kl.
template <scalar T, backend B>
struct gaussian_sample_result {
    var<T, B> z;   ///< [n, d] reparameterised sample
    var<T, B> kl;  ///< [n] KL of each row's Gaussian to N(0, I)
};

/// The reparameterised sample of a diagonal Gaussian and its KL divergence to N(0, I), fused:
///   σ = softplus(raw) + floor   or   σ = exp(raw / 2)      (options.scale())
///   z = μ + σ ⊙ ε,  ε ~ N(0, I) from gen (n·d draws, element i is philox normal i, as normal_ fills),
///   kl[r] = Σ_j ½(σ²ᵣⱼ + μ²ᵣⱼ − 1) − log σᵣⱼ.
/// Gradients flow from z and from kl into loc and raw (ε is a constant); the backward recomputes ε
/// from the generator's counters rather than keeping it.
/// requires: loc and raw of the same shape [n, d] (shape_error); floor ≥ 0 (config_error).
/// ensures:  forward is one launch; each backward that is needed is one launch; advances gen by n·d.
template <scalar T, backend B>
gaussian_sample_result<T, B> gaussian_sample_kl(const var<T, B>& loc, const var<T, B>& raw, generator& gen,
                                                reparam_options options = {}) {
    LATENT_CHECK(loc.shape().rank() == 2 && loc.shape() == raw.shape(), shape_error,
                 "gaussian_sample_kl: loc ", loc.shape(), " and raw scale ", raw.shape(), " must be the same [n, d]");
    LATENT_CHECK(options.floor() >= 0 && std::isfinite(options.floor()), config_error,
                 "gaussian_sample_kl: floor must be finite and >= 0, not ", options.floor());
    const std::size_t n = static_cast<std::size_t>(loc.shape()[0]);
    const std::size_t d = static_cast<std::size_t>(loc.shape()[1]);
    const kernels::gaussian_scale<T> scale{options.scale(), T(options.floor())};
    const philox_range eps = gen.take(static_cast<std::uint64_t>(n * d));

    tensor<T, B> z(loc.shape());
    tensor<T, B> kl(shape{static_cast<std::int64_t>(n)});
    const tensor<T, B> mu = loc.value(), rw = raw.value();
    launch_coarse(B{}, n, kernels::gaussian_sample_kl_forward<T>{mu.data(), rw.data(), z.data(), kl.data(), eps, scale, d});

    var<T, B> zv = record("gaussian_sample", z, {&loc, &raw}, [rw, eps, scale, n, d](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dloc, draw;
        if (inputs.needs(0)) dloc = tensor<T, B>(g.shape());
        if (inputs.needs(1)) draw = tensor<T, B>(g.shape());
        launch_coarse(B{}, n,
                      kernels::gaussian_sample_backward<T>{rw.data(), g.data(), dloc.defined() ? dloc.data() : nullptr,
                                                           draw.defined() ? draw.data() : nullptr, eps, scale, d});
        if (dloc.defined()) inputs.add(0, std::move(dloc));
        if (draw.defined()) inputs.add(1, std::move(draw));
    });
    var<T, B> klv = record("gaussian_kl", kl, {&loc, &raw}, [mu, rw, scale, n, d](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dloc, draw;
        if (inputs.needs(0)) dloc = tensor<T, B>(mu.shape());
        if (inputs.needs(1)) draw = tensor<T, B>(mu.shape());
        launch_coarse(B{}, n,
                      kernels::gaussian_kl_backward<T>{mu.data(), rw.data(), g.data(),
                                                       dloc.defined() ? dloc.data() : nullptr,
                                                       draw.defined() ? draw.data() : nullptr, scale, d});
        if (dloc.defined()) inputs.add(0, std::move(dloc));
        if (draw.defined()) inputs.add(1, std::move(draw));
    });
    return {std::move(zv), std::move(klv)};
}

}  // namespace latent
