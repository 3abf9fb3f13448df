// latent/nn/diagonal.hpp: a per-feature scale and shift, y = x ⊙ s + b.
//
// CCVAE's classifier q(y|z_c) and conditional prior p(z_c|y) are diagonal maps
// of this kind: each label sees only its own latent coordinates.
#pragma once

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/nn/module.hpp"

namespace latent::nn {

/// requires: features > 0. ensures: scale starts at 1 and bias at 0 (the identity).
template <scalar T = float, backend B = cpu>
class diagonal : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    explicit diagonal(std::int64_t features, bool bias = true)
        : features_(features),
          has_bias_(bias),
          scale_("weight", tensor<T, B>::ones({features})),
          bias_("bias", tensor<T, B>::zeros({features})) {
        LATENT_CHECK(features > 0, config_error, "Diagonal: features must be positive, got ", features);
    }

    var_type forward(const var_type& x) override {
        LATENT_CHECK(x.shape().rank() == 2 && x.cols() == features_, shape_error, "Diagonal(", features_, "): input ",
                     x.shape());
        var_type y = x * scale_.as_var();
        return has_bias_ ? y + bias_.as_var() : y;
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override {
        f(scale_);
        if (has_bias_) f(bias_);
    }
    std::string describe() const override { return "Diagonal(" + std::to_string(features_) + ")"; }

    parameter_type& scale() { return scale_; }
    parameter_type& bias() { return bias_; }

private:
    std::int64_t features_;
    bool has_bias_;
    parameter_type scale_, bias_;
};

}  // namespace latent::nn
