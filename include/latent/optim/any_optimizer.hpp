// latent/optim/any_optimizer.hpp: Adam or SGD, chosen at run time, behind one type.
//
// The trainer builds one optimizer per parameter group, and the swap model's
// authors train encoder and decoder with Adam but the discriminator with SGD
// (MODELS.md §7). optimizer_choice names either with its options; any_optimizer
// holds the one built from it and forwards the optimizer concept's calls, so
// that a schedule drives either alike. The state lives beside each parameter
// (optimizer.hpp), so checkpoints do not depend on the choice's type.
#pragma once

#include <span>
#include <variant>

#include "latent/optim/adam.hpp"
#include "latent/optim/optimizer.hpp"
#include "latent/optim/sgd.hpp"

namespace latent {

/// Which optimizer a parameter group gets, with its options: `adam_options{}.lr(1e-3)` or
/// `sgd_options{}.lr(0.01)`.
using optimizer_choice = std::variant<adam_options, sgd_options>;

/// The optimizer an optimizer_choice names, built over `params`.
template <scalar T, backend B>
class any_optimizer {
public:
    any_optimizer(std::span<parameter<T, B>* const> params, const optimizer_choice& choice)
        : held_(std::visit([&](const auto& o) { return build(params, o); }, choice)) {}

    void step() {
        std::visit([](auto& o) { o.step(); }, held_);
    }
    void zero_grad() {
        std::visit([](auto& o) { o.zero_grad(); }, held_);
    }
    double lr() const {
        return std::visit([](const auto& o) { return o.lr(); }, held_);
    }
    void set_lr(double lr) {
        std::visit([lr](auto& o) { o.set_lr(lr); }, held_);
    }
private:
    using held = std::variant<adam<T, B>, sgd<T, B>>;
    static held build(std::span<parameter<T, B>* const> params, const adam_options& o) {
        return held(std::in_place_type<adam<T, B>>, params, o);
    }
    static held build(std::span<parameter<T, B>* const> params, const sgd_options& o) {
        return held(std::in_place_type<sgd<T, B>>, params, o);
    }
    held held_;
};

}  // namespace latent
