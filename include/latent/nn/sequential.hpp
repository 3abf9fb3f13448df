// latent/nn/sequential.hpp: layers applied one after another, composed at run time.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "latent/nn/module.hpp"

namespace latent::nn {

/// A chain of modules. Children are named "0", "1", ... in their parameters'
/// names, as in torch.nn.Sequential, so state dicts match.
template <scalar T = float, backend B = cpu>
class sequential : public module<T, B> {
public:
    using typename module<T, B>::var_type;
    using typename module<T, B>::parameter_type;

    sequential() = default;

    /// Appends a module; its parameters are renamed "<index>.<name>".
    sequential& push_back(std::unique_ptr<module<T, B>> m) {
        m->prefix_names(std::to_string(layers_.size()) + ".");
        m->set_training(this->training());
        layers_.push_back(std::move(m));
        return *this;
    }
    /// Constructs a layer in place: `net.add<linear<>>(784, 256, gen)`.
    template <class Layer, class... Args>
    Layer& add(Args&&... args) {
        auto m = std::make_unique<Layer>(std::forward<Args>(args)...);
        Layer& ref = *m;
        push_back(std::move(m));
        return ref;
    }

    var_type forward(const var_type& x) override {
        var_type h = x;
        for (auto& m : layers_) h = m->forward(h);
        return h;
    }
    void for_each_parameter(const std::function<void(parameter_type&)>& f) override {
        for (auto& m : layers_) m->for_each_parameter(f);
    }
    void set_training(bool on) override {
        module<T, B>::set_training(on);
        for (auto& m : layers_) m->set_training(on);
    }
    std::string describe() const override {
        std::string s = "Sequential(";
        for (std::size_t i = 0; i < layers_.size(); ++i) s += (i ? ", " : "") + layers_[i]->describe();
        return s + ")";
    }

    std::size_t size() const { return layers_.size(); }
    bool empty() const { return layers_.empty(); }
    module<T, B>& operator[](std::size_t i) { return *layers_.at(i); }

private:
    std::vector<std::unique_ptr<module<T, B>>> layers_;
};

}  // namespace latent::nn
