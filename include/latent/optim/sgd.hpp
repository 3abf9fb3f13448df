// latent/optim/sgd.hpp: stochastic gradient descent with momentum, as torch.optim.SGD.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "latent/optim/optimizer.hpp"

namespace latent {

/// Options of sgd, set fluently: `sgd_options{}.lr(0.01).momentum(0.9).nesterov(true)`.
/// Each setter returns *this; the getter of the same name reads the value.
/// lr has no default, as in PyTorch: an optimizer built without one throws.
class sgd_options {
public:
    sgd_options& lr(double v) { lr_ = v; return *this; }
    sgd_options& momentum(double v) { momentum_ = v; return *this; }
    sgd_options& dampening(double v) { dampening_ = v; return *this; }
    sgd_options& nesterov(bool v) { nesterov_ = v; return *this; }
    sgd_options& weight_decay(double v) { weight_decay_ = v; return *this; }

    double lr() const { return lr_; }
    double momentum() const { return momentum_; }
    double dampening() const { return dampening_; }
    bool nesterov() const { return nesterov_; }
    double weight_decay() const { return weight_decay_; }

    /// Throws config_error naming the option at fault: lr unset or < 0,
    /// momentum < 0, weight_decay < 0, nesterov without momentum > 0 and dampening = 0.
    void validate() const {
        LATENT_CHECK(!std::isnan(lr_), config_error, "sgd_options: lr is required (torch.optim.SGD has no default); set it with .lr(x)");
        LATENT_CHECK(lr_ >= 0, config_error, "sgd_options: lr must be >= 0, not ", lr_);
        LATENT_CHECK(momentum_ >= 0, config_error, "sgd_options: momentum must be >= 0, not ", momentum_);
        LATENT_CHECK(weight_decay_ >= 0, config_error, "sgd_options: weight_decay must be >= 0, not ", weight_decay_);
        LATENT_CHECK(!nesterov_ || (momentum_ > 0 && dampening_ == 0), config_error,
                     "sgd_options: nesterov needs momentum > 0 and dampening = 0 (momentum ", momentum_, ", dampening ",
                     dampening_, ")");
    }

private:
    double lr_ = std::numeric_limits<double>::quiet_NaN();
    double momentum_ = 0;
    double dampening_ = 0;
    bool nesterov_ = false;
    double weight_decay_ = 0;
};

namespace kernels {
/// One SGD step of one parameter, torch.optim.SGD's single-tensor update:
///   d = g + wd·p
///   with momentum μ: b = d on the first step, else b = μ·b + (1 - dampening)·d;
///                    d = d + μ·b (nesterov) or d = b
///   p = p - lr·d
/// `buf` is null without momentum.
template <class T>
struct sgd_step {
    T* value;
    const T* grad;
    T* buf;
    T lr, momentum, one_minus_dampening, weight_decay;
    bool nesterov, first;
    LATENT_HD void operator()(std::size_t i) const {
        T d = grad[i];
        if (weight_decay != T(0)) d += weight_decay * value[i];
        if (buf) {
            const T b = first ? d : momentum * buf[i] + one_minus_dampening * d;
            buf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        value[i] -= lr * d;
    }
};
}  // namespace kernels

/// Stochastic gradient descent, exactly torch.optim.SGD (maximize=False).
///
/// requires: options pass validate(); the parameters outlive the optimizer.
/// ensures:  step() updates each trainable parameter with one kernel launch
///           (kernels::sgd_step); with momentum, optimizer_state() = {momentum_buffer},
///           allocated on the parameter's first step, so later steps allocate nothing
///           (without momentum there is no state, as in PyTorch); optimizer_steps()
///           counts the steps taken.
template <scalar T = float, backend B = cpu>
class sgd : public optimizer_base<T, B> {
public:
    using typename optimizer_base<T, B>::parameter_type;

    sgd(std::span<parameter_type* const> params, sgd_options options)
        : optimizer_base<T, B>(params, "sgd"), options_(options) {
        options_.validate();
    }

    const sgd_options& options() const { return options_; }
    double lr() const { return options_.lr(); }
    /// Changes the learning rate (schedules call this); throws config_error if lr < 0.
    void set_lr(double lr) {
        LATENT_CHECK(lr >= 0, config_error, "sgd: lr must be >= 0, not ", lr);
        options_.lr(lr);
    }

    void step() {
        const bool momentum = options_.momentum() != 0;
        for (parameter_type* p : this->params_) {
            if (!p->trainable()) continue;
            const bool first = momentum && this->prepare_state(*p, 1, "sgd");
            ++p->optimizer_steps();
            launch(B{}, p->value().size(),
                   kernels::sgd_step<T>{p->value().data(), p->grad().data(),
                                        momentum ? p->optimizer_state()[0].data() : nullptr, T(options_.lr()),
                                        T(options_.momentum()), T(1 - options_.dampening()),
                                        T(options_.weight_decay()), options_.nesterov(), first});
        }
    }

private:
    sgd_options options_;
};

template <scalar T, backend B>
sgd(std::vector<parameter<T, B>*>, sgd_options) -> sgd<T, B>;
template <scalar T, backend B>
sgd(std::span<parameter<T, B>* const>, sgd_options) -> sgd<T, B>;

}  // namespace latent
