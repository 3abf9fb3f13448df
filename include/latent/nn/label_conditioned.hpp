// latent/nn/label_conditioned.hpp: a network conditioned on a class through lookup tables.
//
// The swap model's discriminator Adv(x, id) (MODELS.md §7; seed 003's architecture
// appendix): "the label goes through three independent lookup tables and [they] are added
// at the three first layers of representation". label_conditioned wraps any network built
// from nn::sequential (the factories' discriminators are) and gives each of its first
// `tables` weight layers (linear or conv2d, in order, never the last one, which gives the
// logit) a table with one learned row per class, added to that layer's output: to every
// feature of a linear layer, to every position of a convolution's channel. Nested
// sequentials are run layer by layer, which is what their forward does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/nn/conv.hpp"
#include "latent/nn/embedding.hpp"
#include "latent/nn/init.hpp"
#include "latent/nn/linear.hpp"
#include "latent/nn/sequential.hpp"

namespace latent::nn {

template <scalar T, backend B>
class label_conditioned {
public:
    using var_type = var<T, B>;

    /// Conditions `net` on `classes` classes with at most `tables` tables (fewer when the
    /// network has fewer weight layers before its last), each drawn from N(0, init_std²) and
    /// named "<name>.table<k>.weight" in the network's parameter group.
    label_conditioned(std::unique_ptr<module<T, B>> net, std::int64_t classes, int tables, generator& gen,
                      const std::string& name, double init_std = 0.02)
        : net_(std::move(net)) {
        LATENT_CHECK(classes > 0 && tables >= 0, config_error, "label_conditioned ", name, ": ", classes,
                     " classes and ", tables, " tables");
        flatten_into(*net_, layers_);
        std::vector<std::size_t> weight_layers;
        std::vector<std::int64_t> widths;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            if (auto* l = dynamic_cast<linear<T, B>*>(layers_[i])) {
                weight_layers.push_back(i);
                widths.push_back(l->out_features());
            } else if (auto* c = dynamic_cast<conv2d<T, B>*>(layers_[i])) {
                weight_layers.push_back(i);
                widths.push_back(c->weight().shape()[0]);
            }
        }
        LATENT_CHECK(!weight_layers.empty(), config_error, "label_conditioned ", name,
                     ": the network has no linear or conv2d layer to condition");
        const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(tables), weight_layers.size() - 1);
        std::string group;
        net_->for_each_parameter([&](parameter<T, B>& p) { group = p.group(); });
        for (std::size_t k = 0; k < count; ++k) {
            auto table = std::make_unique<embedding<T, B>>(classes, widths[k], gen);
            table->for_each_parameter([&](parameter<T, B>& p) { normal_init(p.value(), gen, 0.0, init_std); });
            table->prefix_names(name + ".table" + std::to_string(k) + ".");
            if (!group.empty()) table->set_group(group);
            after_.push_back(weight_layers[k]);
            tables_.push_back(std::move(table));
        }
    }

    /// The network's output for images x [n, …] of classes `classes` [n] (int32, each in [0, classes)).
    var_type operator()(const var_type& x, const tensor<std::int32_t, B>& classes) {
        const std::int64_t n = x.shape()[0];
        LATENT_CHECK(classes.numel() == n, shape_error, "label_conditioned: ", n, " inputs but ", classes.numel(),
                     " labels");
        var_type h = x;
        std::size_t next = 0;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            h = layers_[i]->forward(h);
            if (next < after_.size() && after_[next] == i) {
                h = h + spread(tables_[next]->lookup(classes), h.shape());
                ++next;
            }
        }
        return h;
    }

    /// The wrapped network, then each table.
    void for_each_module(const std::function<void(module<T, B>&)>& fn) {
        fn(*net_);
        for (auto& t : tables_) fn(*t);
    }
    /// How many tables the network got.
    std::size_t tables() const { return tables_.size(); }

private:
    static void flatten_into(module<T, B>& m, std::vector<module<T, B>*>& out) {
        if (auto* s = dynamic_cast<sequential<T, B>*>(&m)) {
            for (std::size_t i = 0; i < s->size(); ++i) flatten_into((*s)[i], out);
        } else {
            out.push_back(&m);
        }
    }
    /// A table's rows [n, C] over a layer's output of shape `like`: as they are for [n, C], or
    /// the same value at every position of each channel for [n, C, H, W] (rows ⊗ ones[H·W]).
    static var_type spread(const var_type& rows, const shape& like) {
        if (like.rank() == 2) return rows;
        const std::int64_t n = like[0], c = like[1], positions = like.numel() / (n * c);
        const var_type ones(tensor<T, B>::full({1, positions}, T(1)));
        return reshape(matmul(reshape(rows, {n * c, 1}), ones), like);
    }

    std::unique_ptr<module<T, B>> net_;
    std::vector<module<T, B>*> layers_;
    std::vector<std::size_t> after_;
    std::vector<std::unique_ptr<embedding<T, B>>> tables_;
};

}  // namespace latent::nn
