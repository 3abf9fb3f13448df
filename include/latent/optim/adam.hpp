// latent/optim/adam.hpp: Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW.
//
// Both are one fused kernel per parameter over torch 1.13's single-tensor
// formulas; they differ only in where weight decay enters: Adam adds wd·p to
// the gradient (L2 regularisation, which the moments then rescale), AdamW
// shrinks the parameter by (1 - lr·wd) before the update (decoupled decay,
// Loshchilov & Hutter).
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "latent/optim/optimizer.hpp"

namespace latent {

namespace detail {
/// The options Adam and AdamW share, with fluent setters returning the derived type.
template <class Self>
class adam_family_options {
public:
    Self& lr(double v) { lr_ = v; return self(); }
    Self& betas(double beta1, double beta2) { betas_ = {beta1, beta2}; return self(); }
    Self& eps(double v) { eps_ = v; return self(); }
    Self& weight_decay(double v) { weight_decay_ = v; return self(); }
    /// Divide by the largest second moment seen so far (Reddi et al.), not the current one.
    Self& amsgrad(bool v) { amsgrad_ = v; return self(); }

    double lr() const { return lr_; }
    std::pair<double, double> betas() const { return betas_; }
    double eps() const { return eps_; }
    double weight_decay() const { return weight_decay_; }
    bool amsgrad() const { return amsgrad_; }

    /// Throws config_error naming the option at fault: lr < 0, eps < 0, a beta
    /// outside [0, 1), weight_decay < 0 (PyTorch's checks).
    void validate() const {
        const char* who = Self::name;
        LATENT_CHECK(lr_ >= 0, config_error, who, ": lr must be >= 0, not ", lr_);
        LATENT_CHECK(eps_ >= 0, config_error, who, ": eps must be >= 0, not ", eps_);
        LATENT_CHECK(betas_.first >= 0 && betas_.first < 1, config_error, who, ": betas[0] must be in [0, 1), not ",
                     betas_.first);
        LATENT_CHECK(betas_.second >= 0 && betas_.second < 1, config_error, who,
                     ": betas[1] must be in [0, 1), not ", betas_.second);
        LATENT_CHECK(weight_decay_ >= 0, config_error, who, ": weight_decay must be >= 0, not ", weight_decay_);
    }

protected:
    explicit adam_family_options(double weight_decay) : weight_decay_(weight_decay) {}

private:
    Self& self() { return static_cast<Self&>(*this); }

    double lr_ = 1e-3;
    std::pair<double, double> betas_{0.9, 0.999};
    double eps_ = 1e-8;
    double weight_decay_;
    bool amsgrad_ = false;
};
}  // namespace detail

/// Options of adam: `adam_options{}.lr(1e-3).betas(0.9, 0.999).eps(1e-8).weight_decay(0).amsgrad(false)`
/// (those are the defaults, PyTorch's).
struct adam_options : detail::adam_family_options<adam_options> {
    static constexpr const char* name = "adam_options";
    adam_options() : adam_family_options(0.0) {}
};

/// Options of adamw: as adam_options, but weight_decay defaults to 1e-2 (PyTorch's) and is decoupled.
struct adamw_options : detail::adam_family_options<adamw_options> {
    static constexpr const char* name = "adamw_options";
    adamw_options() : adam_family_options(1e-2) {}
};

namespace kernels {
/// One Adam/AdamW step of one parameter, at step t (torch 1.13 single-tensor):
///   Adam:  g = g + wd·p            AdamW: p = p·(1 - lr·wd)
///   m = β1·m + (1 - β1)·g
///   v = β2·v + (1 - β2)·g²
///   amsgrad: v̂ = max(v̂, v), else v̂ = v
///   p = p - step_size · m / (√v̂ / √bc2 + eps),  step_size = lr / bc1,
///   bc1 = 1 - β1ᵗ, bc2 = 1 - β2ᵗ (computed once per parameter on the host).
/// `vmax` is null without amsgrad. `fresh` treats m, v and v̂ as zeros (first step).
template <class T>
struct adam_step {
    T* value;
    const T* grad;
    T* m;
    T* v;
    T* vmax;
    T beta1, beta2, one_minus_beta1, one_minus_beta2;
    T weight_decay;  // coupled (Adam); 0 for AdamW
    T shrink;        // decoupled (AdamW): 1 - lr·wd; 1 for Adam
    T step_size, bc2_sqrt, eps;
    bool fresh;
    LATENT_HD void operator()(std::size_t i) const {
        using std::sqrt;
        T p = value[i] * shrink;
        T g = grad[i];
        if (weight_decay != T(0)) g += weight_decay * value[i];
        const T mi = (fresh ? T(0) : beta1 * m[i]) + one_minus_beta1 * g;
        const T vi = (fresh ? T(0) : beta2 * v[i]) + one_minus_beta2 * g * g;
        m[i] = mi;
        v[i] = vi;
        T vhat = vi;
        if (vmax) {
            // NaN-propagating max, as torch.maximum
            if (!fresh && (vmax[i] > vhat || vmax[i] != vmax[i])) vhat = vmax[i];
            vmax[i] = vhat;
        }
        const T denom = sqrt(vhat) / bc2_sqrt + eps;
        value[i] = p - step_size * (mi / denom);
    }
};
}  // namespace kernels

namespace detail {
/// Adam and AdamW: the same step, with weight decay coupled or decoupled.
template <scalar T, backend B, class Options, bool Decoupled>
class adam_family : public optimizer_base<T, B> {
public:
    using typename optimizer_base<T, B>::parameter_type;

    adam_family(std::span<parameter_type* const> params, Options options, const char* who)
        : optimizer_base<T, B>(params, who), options_(options), who_(who) {
        options_.validate();
    }

    const Options& options() const { return options_; }
    double lr() const { return options_.lr(); }
    /// Changes the learning rate (schedules call this); throws config_error if lr < 0.
    void set_lr(double lr) {
        LATENT_CHECK(lr >= 0, config_error, who_, ": lr must be >= 0, not ", lr);
        options_.lr(lr);
    }

    /// One update of every trainable parameter: one kernel launch each, no
    /// allocation after a parameter's first step. optimizer_state() holds
    /// {exp_avg, exp_avg_sq} (and max_exp_avg_sq with amsgrad), PyTorch's names and order.
    void step() {
        const auto [beta1, beta2] = options_.betas();
        const double lr = options_.lr(), wd = options_.weight_decay();
        const std::size_t count = options_.amsgrad() ? 3 : 2;
        for (parameter_type* p : this->params_) {
            if (!p->trainable()) continue;
            const bool fresh = this->prepare_state(*p, count, who_);
            const auto t = static_cast<double>(++p->optimizer_steps());
            // Host scalars in double, as PyTorch computes them in Python floats.
            const double bc1 = 1 - std::pow(beta1, t);
            const double bc2 = 1 - std::pow(beta2, t);
            auto& state = p->optimizer_state();
            launch(B{}, p->value().size(),
                   kernels::adam_step<T>{p->value().data(), p->grad().data(), state[0].data(), state[1].data(),
                                         options_.amsgrad() ? state[2].data() : nullptr, T(beta1), T(beta2),
                                         T(1 - beta1), T(1 - beta2), T(Decoupled ? 0.0 : wd),
                                         T(Decoupled ? 1 - lr * wd : 1.0), T(lr / bc1), T(std::sqrt(bc2)),
                                         T(options_.eps()), fresh});
        }
    }

private:
    Options options_;
    const char* who_;
};
}  // namespace detail

/// Adam (Kingma & Ba), exactly torch.optim.Adam (maximize=False); weight decay
/// is added to the gradient (L2).
///
/// requires: options pass validate(); the parameters outlive the optimizer.
/// ensures:  see detail::adam_family::step and kernels::adam_step.
template <scalar T = float, backend B = cpu>
class adam : public detail::adam_family<T, B, adam_options, false> {
public:
    using typename optimizer_base<T, B>::parameter_type;
    adam(std::span<parameter_type* const> params, adam_options options = {})
        : detail::adam_family<T, B, adam_options, false>(params, options, "adam") {}
};

/// AdamW, exactly torch.optim.AdamW (maximize=False): Adam with decoupled weight
/// decay, p ← p·(1 - lr·wd) before the Adam update.
template <scalar T = float, backend B = cpu>
class adamw : public detail::adam_family<T, B, adamw_options, true> {
public:
    using typename optimizer_base<T, B>::parameter_type;
    adamw(std::span<parameter_type* const> params, adamw_options options = {})
        : detail::adam_family<T, B, adamw_options, true>(params, options, "adamw") {}
};

template <scalar T, backend B>
adam(std::vector<parameter<T, B>*>) -> adam<T, B>;
template <scalar T, backend B>
adam(std::vector<parameter<T, B>*>, adam_options) -> adam<T, B>;
template <scalar T, backend B>
adam(std::span<parameter<T, B>* const>, adam_options) -> adam<T, B>;
template <scalar T, backend B>
adamw(std::vector<parameter<T, B>*>) -> adamw<T, B>;
template <scalar T, backend B>
adamw(std::vector<parameter<T, B>*>, adamw_options) -> adamw<T, B>;
template <scalar T, backend B>
adamw(std::span<parameter<T, B>* const>, adamw_options) -> adamw<T, B>;

}  // namespace latent
