// latent/autograd/ops/random.hpp: ops whose forward pass draws random numbers (dropout).
//
// The backward of such an op must see the draws of its forward. It keeps the
// drawn mask itself, not the generator's state: replaying the generator would
// tie the gradient to a generator the caller may have moved on since.
#pragma once

#include <cmath>

#include "latent/autograd/tape.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

namespace kernels {
/// mask[i] = scale if u ≥ p (kept, probability 1 - p) else 0.
template <class T>
struct dropout_mask {
    T* mask;
    philox_range r;
    double p;
    T scale;
    LATENT_HD void operator()(std::size_t i) const { mask[i] = r.uniform(i) >= p ? scale : T(0); }
};
/// out[i] = a[i]·mask[i] (forward: a = x; backward: a = the incoming gradient)
template <class T>
struct dropout_apply {
    const T* a;
    const T* mask;
    T* out;
    LATENT_HD void operator()(std::size_t i) const { out[i] = a[i] * mask[i]; }
};
}  // namespace kernels

/// Inverted dropout, as torch.nn.functional.dropout: in training, each element
/// is zeroed with probability p and the survivors are scaled by 1/(1 - p), so
/// that E[y] = x; the gradient is the same mask times the incoming gradient.
///   y = x ⊙ m,  mᵢ = 1/(1 - p) with probability 1 - p, else 0.
/// requires: 0 ≤ p ≤ 1 (config_error otherwise, NaN included).
/// ensures:  x itself when !training or p = 0; zeros (with zero gradient) when p = 1;
///           draws x.numel() counters from gen only when training with 0 < p < 1.
template <scalar T, backend B>
var<T, B> dropout(const var<T, B>& x, double p, generator& gen, bool training) {
    LATENT_CHECK(p >= 0 && p <= 1, config_error, "dropout: probability ", p, " outside [0, 1]");
    if (!training || p == 0) return x;
    tensor<T, B> mask(x.shape());
    if (p == 1) mask.fill_(T(0));
    else launch(B{}, mask.size(), kernels::dropout_mask<T>{mask.data(), gen.take(mask.size()), p, T(1.0 / (1.0 - p))});
    tensor<T, B> y(x.shape());
    launch(B{}, y.size(), kernels::dropout_apply<T>{x.value().data(), mask.data(), y.data()});
    return record("dropout", y, {&x}, [mask](tensor<T, B>& g, auto& inputs) {
        tensor<T, B> dx(g.shape());
        launch(B{}, dx.size(), kernels::dropout_apply<T>{g.data(), mask.data(), dx.data()});
        inputs.add(0, std::move(dx));
    });
}

}  // namespace latent
