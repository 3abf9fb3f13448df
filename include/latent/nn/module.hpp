// latent/nn/module.hpp: the contract every layer and network meets.
//
// Layers are run-time objects: their sizes are values, not template
// arguments, so a network is composed at run time (see sequential.hpp) and
// compiles in seconds. A module maps one var to one var, owns its parameters
// (and buffers such as running statistics), and switches between training and
// evaluation behaviour.
//
// Parameter names follow PyTorch's state-dict names ("0.weight",
// "encoder.2.running_mean"), so checkpoints line up with a PyTorch model of
// the same architecture.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "latent/autograd/tape.hpp"

namespace latent::nn {

template <scalar T = float, backend B = cpu>
class module {
public:
    using var_type = var<T, B>;
    using parameter_type = parameter<T, B>;

    module() = default;
    module(const module&) = delete;
    module& operator=(const module&) = delete;
    virtual ~module() = default;

    /// The layer's computation; records on the tape when gradients are on.
    virtual var_type forward(const var_type& x) = 0;
    var_type operator()(const var_type& x) { return forward(x); }

    /// Calls f on every parameter and buffer, children first in order.
    virtual void for_each_parameter(const std::function<void(parameter_type&)>& f) { (void)f; }

    /// Every parameter and buffer, in a stable order.
    std::vector<parameter_type*> parameters() {
        std::vector<parameter_type*> out;
        for_each_parameter([&](parameter_type& p) { out.push_back(&p); });
        return out;
    }
    /// The trainable parameters of one group (what one optimizer updates).
    std::vector<parameter_type*> parameters(const std::string& group) {
        std::vector<parameter_type*> out;
        for_each_parameter([&](parameter_type& p) {
            if (p.trainable() && p.group() == group) out.push_back(&p);
        });
        return out;
    }
    /// Puts every parameter of this module in `group` (adversaries train with their own optimizer).
    void set_group(const std::string& group) {
        for_each_parameter([&](parameter_type& p) { p.set_group(group); });
    }
    /// Prepends `prefix` to every parameter name ("encoder." + "0.weight").
    void prefix_names(const std::string& prefix) {
        for_each_parameter([&](parameter_type& p) { p.set_name(prefix + p.name()); });
    }
    void zero_grad() {
        for_each_parameter([](parameter_type& p) { p.zero_grad(); });
    }
    /// Number of trainable scalars.
    std::int64_t parameter_count() {
        std::int64_t n = 0;
        for_each_parameter([&](parameter_type& p) { n += p.trainable() ? p.numel() : 0; });
        return n;
    }

    /// Training mode: batch statistics, dropout on. Evaluation: running statistics, dropout off.
    virtual void set_training(bool on) { training_ = on; }
    void train() { set_training(true); }
    void eval() { set_training(false); }
    bool training() const { return training_; }

    /// A short description for printing a network ("Linear(784, 256)").
    virtual std::string describe() const = 0;

private:
    bool training_ = true;
};

}  // namespace latent::nn
