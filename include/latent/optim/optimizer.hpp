// latent/optim/optimizer.hpp: what every optimizer is, and the part they share.
//
// An optimizer holds pointers to the parameters it was given (it owns none of
// them) and updates each trainable one from its gradient in step(). Its state
// (momentum, moments) lives beside each parameter, in
// parameter::optimizer_state() with the step count in optimizer_steps(), so
// that it moves, saves and loads with the parameter and is never looked up by
// address. Frozen parameters (and buffers) are skipped at every step, so that
// freezing or thawing between steps takes effect at once, as a parameter
// without a gradient is skipped by PyTorch.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "latent/autograd/parameter.hpp"
#include "latent/core/error.hpp"

namespace latent {

/// An optimizer: step() updates the parameters from their gradients,
/// zero_grad() clears the gradients, lr()/set_lr() read and change the
/// learning rate (what schedules drive).
template <class O>
concept optimizer = requires(O& o, const O& co, double lr) {
    o.step();
    o.zero_grad();
    { co.lr() } -> std::convertible_to<double>;
    o.set_lr(lr);
};

/// The parameters of `params` whose group() is `group`, in order: the argument
/// of the optimizer that trains that group (adversarial models train groups
/// with separate optimizers).
template <scalar T, backend B>
std::vector<parameter<T, B>*> in_group(std::span<parameter<T, B>* const> params, std::string_view group) {
    std::vector<parameter<T, B>*> out;
    for (parameter<T, B>* p : params)
        if (p && p->group() == group) out.push_back(p);
    return out;
}
template <scalar T, backend B>
std::vector<parameter<T, B>*> in_group(const std::vector<parameter<T, B>*>& params, std::string_view group) {
    return in_group(std::span<parameter<T, B>* const>(params), group);
}

/// The parameter list and zero_grad shared by the optimizers.
///
/// requires: every pointer is non-null, appears once, and outlives the optimizer.
/// ensures:  construction throws config_error (naming `who` and the parameter)
///           otherwise; parameters() keeps the order given.
template <scalar T, backend B>
class optimizer_base {
public:
    using parameter_type = parameter<T, B>;
    using tensor_type = tensor<T, B>;

    const std::vector<parameter_type*>& parameters() const { return params_; }

    /// Sets the gradient of every trainable parameter to zero (frozen ones are left as they are).
    void zero_grad() {
        for (parameter_type* p : params_)
            if (p->trainable()) p->zero_grad();
    }

protected:
    optimizer_base(std::span<parameter_type* const> params, const char* who) : params_(params.begin(), params.end()) {
        for (std::size_t i = 0; i < params_.size(); ++i)
            LATENT_CHECK(params_[i] != nullptr, config_error, who, ": parameter pointer ", i, " is null");
        std::vector<parameter_type*> sorted = params_;
        std::sort(sorted.begin(), sorted.end());
        const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
        LATENT_CHECK(dup == sorted.end(), config_error, who, ": parameter '", (dup == sorted.end() ? "" : (*dup)->name()),
                     "' is given twice; it would be stepped twice per step");
    }

    /// Makes sure `p` holds `count` state tensors of its shape. Returns true when
    /// they were just created (uninitialised, step count reset to 0): the
    /// parameter's first step under this kind of optimizer. Throws config_error
    /// when `p` holds state of another layout (another optimizer, amsgrad changed).
    static bool prepare_state(parameter_type& p, std::size_t count, const char* who) {
        std::vector<tensor_type>& state = p.optimizer_state();
        if (state.empty()) {
            state.reserve(count);
            for (std::size_t k = 0; k < count; ++k) state.emplace_back(p.shape());
            p.optimizer_steps() = 0;
            return true;
        }
        bool fits = state.size() == count;
        for (std::size_t k = 0; fits && k < count; ++k) fits = state[k].defined() && state[k].shape() == p.shape();
        LATENT_CHECK(fits, config_error, who, ": parameter '", p.name(), "' of shape ", p.shape(), " holds ",
                     state.size(), " optimizer state tensors, not the ", count, " of shape ", p.shape(),
                     " this optimizer keeps; it was stepped by another kind of optimizer (clear its optimizer_state() "
                     "to start afresh)");
        return false;
    }

    std::vector<parameter_type*> params_;
};

}  // namespace latent
