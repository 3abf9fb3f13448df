// latent/nn/batchnorm.hpp: batch normalisation layers (nn.BatchNorm1d, nn.BatchNorm2d).
//
// Running statistics are buffers: saved and loaded with the parameters under
// PyTorch's names, never trained.
#pragma once

#include "latent/autograd/ops/norm.hpp"
#include "latent/nn/module.hpp"

namespace latent::nn {

template <scalar T = float, backend B = cpu>
class batch_norm : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    /// `spatial`: inputs are [N, C, H, W] (BatchNorm2d) rather than [N, C] (BatchNorm1d).
    batch_norm(std::int64_t channels, bool spatial, double momentum = 0.1, double eps = 1e-5)
        : channels_(channels),
          spatial_(spatial),
          momentum_(momentum),
          eps_(eps),
          weight_("weight", tensor<T, B>::ones({channels})),
          bias_("bias", tensor<T, B>::zeros({channels})),
          running_mean_(parameter_type::buffer("running_mean", tensor<T, B>::zeros({channels}))),
          running_var_(parameter_type::buffer("running_var", tensor<T, B>::ones({channels}))) {
        LATENT_CHECK(channels > 0, config_error, "BatchNorm: channels must be positive, got ", channels);
        LATENT_CHECK(momentum >= 0 && momentum <= 1, config_error, "BatchNorm: momentum must lie in [0, 1], got ",
                     momentum);
        LATENT_CHECK(eps > 0, config_error, "BatchNorm: eps must be positive, got ", eps);
    }

    var_type forward(const var_type& x) override {
        const int rank = spatial_ ? 4 : 2;
        LATENT_CHECK(x.shape().rank() == rank && x.dim(1) == channels_, shape_error, describe(), ": input ", x.shape(),
                     " is not [N, ", channels_, spatial_ ? ", H, W]" : "]");
        return latent::batch_norm(x, weight_.as_var(), bias_.as_var(), running_mean_.value(), running_var_.value(),
                                  batch_norm_options{.training = this->training(), .momentum = momentum_, .eps = eps_});
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override {
        f(weight_);
        f(bias_);
        f(running_mean_);
        f(running_var_);
    }
    std::string describe() const override {
        return std::string(spatial_ ? "BatchNorm2d(" : "BatchNorm1d(") + std::to_string(channels_) + ")";
    }
    parameter_type& weight() { return weight_; }
    parameter_type& bias() { return bias_; }
    parameter_type& running_mean() { return running_mean_; }
    parameter_type& running_var() { return running_var_; }

private:
    std::int64_t channels_;
    bool spatial_;
    double momentum_, eps_;
    parameter_type weight_, bias_, running_mean_, running_var_;
};

template <scalar T = float, backend B = cpu>
struct batch_norm1d : batch_norm<T, B> {
    explicit batch_norm1d(std::int64_t features, double momentum = 0.1, double eps = 1e-5)
        : batch_norm<T, B>(features, false, momentum, eps) {}
};
template <scalar T = float, backend B = cpu>
struct batch_norm2d : batch_norm<T, B> {
    explicit batch_norm2d(std::int64_t channels, double momentum = 0.1, double eps = 1e-5)
        : batch_norm<T, B>(channels, true, momentum, eps) {}
};

}  // namespace latent::nn
