// latent/models/mvae.hpp: MVAE of Wu & Goodman 2018 (MODELS.md §6), a CCVAE baseline.
//
// One block z, p(z) = N(0, I), the x-expert q(z|x) the model's encoder head; the objective
// (objectives/mvae.hpp) owns the label expert q(z|y) and the label decoder p(y|z), and combines
// ELBO(x, y) + ELBO(x) + ELBO(y) over products of Gaussian experts. Settings "mvae.label_weight"
// (λ, default 1), "mvae.kl_weight" (β, default 1). Size: "z" (model_options::size).
// Labels: one categorical label (p(y|z) a softmax) or binary labels (p(y|z) a product of
// Bernoullis).
#pragma once

#include <cstdint>

#include "latent/autograd/grad_mode.hpp"
#include "latent/models/model.hpp"
#include "latent/objectives/mvae.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood>
using mvae = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>, Likelihood,
                   mvae_objective>;

/// q(y|x) ≈ p(y | z = μ), μ the mean of PoE(N(0, I), q(z|x)): MVAE classifying from x alone, no
/// graph. Categorical: rows of K class probabilities; binary: [n, L], each label's P(y_i = 1).
/// requires: a model with mvae_objective and one latent block "z"; x [n, example…].
template <class Model, scalar T, backend B>
tensor<T, B> mvae_class_probabilities(Model& m, const tensor<T, B>& x) {
    no_grad guard;
    // The x-expert does not read labels; any valid ones will do.
    const tensor<std::int32_t, B> unused = tensor<std::int32_t, B>::zeros({x.shape()[0], m.data_layout().label_width});
    return m.objective_impl().class_probabilities(m.posterior_normal(x, unused, "z")).value();
}

}  // namespace latent
