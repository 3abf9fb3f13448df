// latent/space/likelihoods.hpp: p(x | latent), the decoder's output distribution.
//
// A likelihood policy's impl turns the decoder's output (one value per
// feature) and the data into the negative log-likelihood per element; the
// model reduces it per example (sum, or mean for the swiss-roll setting) and
// averages over the batch. `mean` is the likelihood's mean, differentiable: the
// reconstruction to show, and the image a GAN's discriminator judges.
#pragma once

#include <cmath>
#include <functional>
#include <numbers>
#include <string>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/parameter.hpp"
#include "latent/models/options.hpp"

namespace latent {

/// What a likelihood is built from: the features per example.
struct likelihood_args {
    std::int64_t features;
    const model_options& options;
};

/// p(x|z) = Π Bern(x_i | sigmoid(logit_i)), for images in [0, 1]: −log p = BCE with logits.
struct bernoulli_likelihood {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const likelihood_args&) {}
        var<T, B> nll_elements(const var<T, B>& out, const var<T, B>& x) const {
            return binary_cross_entropy_with_logits(out, x);
        }
        var<T, B> mean(const var<T, B>& out) const { return sigmoid(out); }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}
    };
};

/// p(x|z) = N(x | out, σ²) per element with a fixed σ ("likelihood.sigma", default 1):
/// −log p = ½((x − out)/σ)² + log σ + ½ log 2π.
struct gaussian_likelihood {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const likelihood_args& a) : sigma_(a.options.take("likelihood.sigma", 1.0)) {
            LATENT_CHECK(sigma_ > 0, config_error, "gaussian_likelihood: likelihood.sigma must be positive, got ",
                         sigma_);
        }
        var<T, B> nll_elements(const var<T, B>& out, const var<T, B>& x) const {
            return square(x - out) * (0.5 / (sigma_ * sigma_)) + (std::log(sigma_) + 0.5 * std::log(2 * std::numbers::pi));
        }
        var<T, B> mean(const var<T, B>& out) const { return out; }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}

    private:
        double sigma_;
    };
};

/// As gaussian_likelihood with one learned log σ per feature (parameter "likelihood.log_sigma",
/// starting at log of "likelihood.sigma", default 1).
struct gaussian_learned_sigma_likelihood {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const likelihood_args& a)
            : log_sigma_("likelihood.log_sigma",
                         tensor<T, B>::full({1, a.features}, T(std::log(a.options.take("likelihood.sigma", 1.0))))) {}
        var<T, B> nll_elements(const var<T, B>& out, const var<T, B>& x) const {
            const var<T, B> log_sigma = log_sigma_.as_var();
            return square(x - out) * exp(log_sigma * -2.0) * 0.5 + log_sigma + 0.5 * std::log(2 * std::numbers::pi);
        }
        var<T, B> mean(const var<T, B>& out) const { return out; }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>& f) { f(log_sigma_); }

    private:
        parameter<T, B> log_sigma_;
    };
};

/// p(x|z) = Laplace(x | out, b) per element, b = "likelihood.scale" (default 1; CCVAE's CelebA
/// setting): −log p = |x − out|/b + log 2b.
struct laplace_likelihood {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const likelihood_args& a) : b_(a.options.take("likelihood.scale", 1.0)) {
            LATENT_CHECK(b_ > 0, config_error, "laplace_likelihood: likelihood.scale must be positive, got ", b_);
        }
        var<T, B> nll_elements(const var<T, B>& out, const var<T, B>& x) const {
            return abs(x - out) * (1.0 / b_) + std::log(2 * b_);
        }
        var<T, B> mean(const var<T, B>& out) const { return out; }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}

    private:
        double b_;
    };
};

/// (x − out)² per element: with reduction::mean this is the element-mean squared error of the
/// CSVAE swiss-roll setting (MODELS.md §4); it is a Gaussian −log p with σ² = ½ less its constant.
struct squared_error_likelihood {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const likelihood_args&) {}
        var<T, B> nll_elements(const var<T, B>& out, const var<T, B>& x) const { return square(x - out); }
        var<T, B> mean(const var<T, B>& out) const { return out; }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}
    };
};

/// What the model template needs of a likelihood policy.
template <class L>
concept likelihood_policy =
    requires { typename L::template impl<float, cpu>; } &&
    std::constructible_from<typename L::template impl<float, cpu>, const likelihood_args&> &&
    requires(const typename L::template impl<float, cpu>& l, const var<float, cpu>& v) {
        { l.nll_elements(v, v) } -> std::same_as<var<float, cpu>>;
        { l.mean(v) } -> std::same_as<var<float, cpu>>;
    };

}  // namespace latent
