// latent/autograd/parameter.hpp: a trainable tensor with its gradient and optimizer state.
//
// A parameter has a name (its key in checkpoints, PyTorch-style "encoder.0.weight"),
// a group (adversarial models train groups with separate optimizers), a
// gradient that backward accumulates into until zero_grad, and the optimizer's
// state stored beside it rather than keyed by its address.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "latent/autograd/var.hpp"

namespace latent {

template <scalar T = float, backend B = cpu>
class parameter {
public:
    using tensor_type = tensor<T, B>;

    parameter(std::string name, tensor_type value, std::string group = "default")
        : name_(std::move(name)),
          group_(std::move(group)),
          value_(std::move(value)),
          grad_(tensor_type::zeros(value_.shape())) {}

    /// State that is saved and loaded with the parameters but never trained
    /// (batch-norm running statistics): a parameter that stays frozen.
    static parameter buffer(std::string name, tensor_type value, std::string group = "default") {
        parameter p(std::move(name), std::move(value), std::move(group));
        p.trainable_ = false;
        p.is_buffer_ = true;
        return p;
    }

    parameter(parameter&&) noexcept = default;
    parameter& operator=(parameter&&) noexcept = default;
    parameter(const parameter&) = delete;
    parameter& operator=(const parameter&) = delete;

    const std::string& name() const { return name_; }
    void set_name(std::string name) { name_ = std::move(name); }
    const std::string& group() const { return group_; }
    void set_group(std::string group) { group_ = std::move(group); }

    tensor_type& value() { return value_; }
    const tensor_type& value() const { return value_; }
    tensor_type& grad() { return grad_; }
    const tensor_type& grad() const { return grad_; }
    const latent::shape& shape() const { return value_.shape(); }
    std::int64_t numel() const { return value_.numel(); }

    void zero_grad() { grad_.fill_(T(0)); }

    /// A frozen parameter takes part in forward passes as a constant. Buffers stay frozen.
    bool trainable() const { return trainable_; }
    void set_trainable(bool on) { trainable_ = on && !is_buffer_; }
    bool is_buffer() const { return is_buffer_; }

    /// This parameter as a graph leaf on the current tape (registered once per tape generation).
    var<T, B> as_var() const;
    operator var<T, B>() const { return as_var(); }  // NOLINT: parameters enter ops directly

    /// Optimizer state (Adam's moments, SGD's momentum buffer), owned by the parameter.
    std::vector<tensor_type>& optimizer_state() { return state_; }
    const std::vector<tensor_type>& optimizer_state() const { return state_; }
    /// Steps the optimizer has taken on this parameter (Adam's bias correction uses it).
    std::int64_t& optimizer_steps() { return steps_; }
    std::int64_t optimizer_steps() const { return steps_; }

private:
    friend class tape<T, B>;

    std::string name_;
    std::string group_;
    tensor_type value_;
    tensor_type grad_;
    std::vector<tensor_type> state_;
    std::int64_t steps_ = 0;
    bool trainable_ = true;
    bool is_buffer_ = false;
    mutable int id_ = -1;
    mutable std::uint64_t generation_ = 0;
};

}  // namespace latent
