// latent/nn/conv.hpp: 2-D convolution layers (nn.Conv2d, nn.ConvTranspose2d).
#pragma once

#include "latent/autograd/ops/conv.hpp"
#include "latent/nn/init.hpp"
#include "latent/nn/module.hpp"

namespace latent::nn {

/// Square kernels, stride and padding; weight [out, in, k, k], bias [out], drawn as PyTorch does.
template <scalar T = float, backend B = cpu>
class conv2d : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    conv2d(std::int64_t in, std::int64_t out, std::int64_t kernel, conv2d_options options, generator& gen,
           bool bias = true)
        : in_(in),
          out_(out),
          kernel_(kernel),
          options_(options),
          has_bias_(bias),
          weight_("weight", tensor<T, B>({out, in, kernel, kernel})),
          bias_("bias", tensor<T, B>({bias ? out : 0})) {
        LATENT_CHECK(in > 0 && out > 0 && kernel > 0, config_error, "Conv2d: channels and kernel must be positive, got ",
                     in, ", ", out, ", ", kernel);
        conv_default_init(weight_.value(), has_bias_ ? &bias_.value() : nullptr, gen, false);
    }

    var_type forward(const var_type& x) override {
        return latent::conv2d(x, weight_.as_var(), has_bias_ ? bias_.as_var() : var_type(), options_);
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override {
        f(weight_);
        if (has_bias_) f(bias_);
    }
    std::string describe() const override {
        return "Conv2d(" + std::to_string(in_) + ", " + std::to_string(out_) + ", k=" + std::to_string(kernel_) +
               ", s=" + std::to_string(options_.stride) + ", p=" + std::to_string(options_.padding) + ")";
    }
    parameter_type& weight() { return weight_; }
    parameter_type& bias() { return bias_; }

private:
    std::int64_t in_, out_, kernel_;
    conv2d_options options_;
    bool has_bias_;
    parameter_type weight_, bias_;
};

/// The transposed convolution; weight [in, out, k, k] as in PyTorch.
template <scalar T = float, backend B = cpu>
class conv_transpose2d : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    conv_transpose2d(std::int64_t in, std::int64_t out, std::int64_t kernel, conv_transpose2d_options options,
                     generator& gen, bool bias = true)
        : in_(in),
          out_(out),
          kernel_(kernel),
          options_(options),
          has_bias_(bias),
          weight_("weight", tensor<T, B>({in, out, kernel, kernel})),
          bias_("bias", tensor<T, B>({bias ? out : 0})) {
        LATENT_CHECK(in > 0 && out > 0 && kernel > 0, config_error,
                     "ConvTranspose2d: channels and kernel must be positive, got ", in, ", ", out, ", ", kernel);
        conv_default_init(weight_.value(), has_bias_ ? &bias_.value() : nullptr, gen, true);
    }

    var_type forward(const var_type& x) override {
        return latent::conv_transpose2d(x, weight_.as_var(), has_bias_ ? bias_.as_var() : var_type(), options_);
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override {
        f(weight_);
        if (has_bias_) f(bias_);
    }
    std::string describe() const override {
        return "ConvTranspose2d(" + std::to_string(in_) + ", " + std::to_string(out_) + ", k=" +
               std::to_string(kernel_) + ", s=" + std::to_string(options_.stride) + ", p=" +
               std::to_string(options_.padding) + ")";
    }
    parameter_type& weight() { return weight_; }
    parameter_type& bias() { return bias_; }

private:
    std::int64_t in_, out_, kernel_;
    conv_transpose2d_options options_;
    bool has_bias_;
    parameter_type weight_, bias_;
};

}  // namespace latent::nn
