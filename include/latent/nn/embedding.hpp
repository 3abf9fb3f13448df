// latent/nn/embedding.hpp: a learned vector per label (nn.Embedding), e.g. the
// swap model's discriminator looks up its label this way.
#pragma once

#include <cmath>

#include "latent/autograd/ops/index.hpp"
#include "latent/nn/init.hpp"
#include "latent/nn/module.hpp"

namespace latent::nn {

/// requires: count, dim > 0. ensures: weight [count, dim] drawn from N(0, 1), as PyTorch.
template <scalar T = float, backend B = cpu>
class embedding : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    embedding(std::int64_t count, std::int64_t dim, generator& gen)
        : count_(count), dim_(dim), weight_("weight", tensor<T, B>({count, dim})) {
        LATENT_CHECK(count > 0 && dim > 0, config_error, "Embedding: sizes must be positive, got ", count, "×", dim);
        normal_init(weight_.value(), gen, 0.0, 1.0);
    }

    /// Rows of the table for integer labels [N] → [N, dim].
    var_type lookup(const tensor<std::int32_t, B>& labels) { return index_rows(weight_.as_var(), labels); }

    /// Labels held as numbers ([N] or [N, 1], whole values), as data sets often store them.
    var_type forward(const var_type& labels) override {
        const auto values = labels.value().to_vector();
        std::vector<std::int32_t> idx(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            LATENT_CHECK(values[i] == std::floor(values[i]), shape_error, "Embedding: label ", values[i],
                         " is not a whole number");
            idx[i] = static_cast<std::int32_t>(values[i]);
        }
        return lookup(tensor<std::int32_t, B>::from_host({static_cast<std::int64_t>(idx.size())}, idx));
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override { f(weight_); }
    std::string describe() const override {
        return "Embedding(" + std::to_string(count_) + ", " + std::to_string(dim_) + ")";
    }
    parameter_type& weight() { return weight_; }

private:
    std::int64_t count_, dim_;
    parameter_type weight_;
};

}  // namespace latent::nn
