// latent/nn/linear.hpp: fully connected layer, y = x·Wᵀ + b (PyTorch's nn.Linear).
#pragma once

#include "latent/autograd/ops/matmul.hpp"
#include "latent/nn/init.hpp"
#include "latent/nn/module.hpp"

namespace latent::nn {

/// requires: in, out > 0. ensures: weight [out, in] and bias [out] drawn as
/// PyTorch's reset_parameters() draws them (U(±1/√in)), from `gen`.
template <scalar T = float, backend B = cpu>
class linear : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    linear(std::int64_t in, std::int64_t out, generator& gen, bool bias = true)
        : in_(in), out_(out), weight_("weight", tensor<T, B>({out, in})), bias_("bias", tensor<T, B>({bias ? out : 0})) {
        LATENT_CHECK(in > 0 && out > 0, config_error, "Linear: features must be positive, got in=", in, " out=", out);
        has_bias_ = bias;
        linear_default_init(weight_.value(), has_bias_ ? &bias_.value() : nullptr, gen);
    }

    var_type forward(const var_type& x) override {
        return has_bias_ ? latent::linear(x, weight_.as_var(), bias_.as_var()) : latent::linear(x, weight_.as_var());
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override {
        f(weight_);
        if (has_bias_) f(bias_);
    }
    std::string describe() const override {
        return "Linear(" + std::to_string(in_) + ", " + std::to_string(out_) + (has_bias_ ? ")" : ", bias=false)");
    }

    parameter_type& weight() { return weight_; }
    parameter_type& bias() { return bias_; }
    std::int64_t in_features() const { return in_; }
    std::int64_t out_features() const { return out_; }

private:
    std::int64_t in_, out_;
    bool has_bias_ = true;
    parameter_type weight_, bias_;
};

}  // namespace latent::nn
