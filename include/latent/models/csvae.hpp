// latent/models/csvae.hpp: CSVAE (MODELS.md §4).
//
// Latent (z, w): z free, q(z | x), p(z) = N(0, I); w one block per label,
// q(w | x, y), p(w_i | y_i) = switch_prior (N(μ_on, σ_on²) on, N(μ_off, σ_off²) off).
// The decoder sees (z, w). An entropy adversary q_δ(y | z) keeps the labels out of z.
// Weights, with the paper's values: "recon" β1 = 20, "kl.w" β2 = 1, "kl.z" β3 = 0.2,
// "entropy.z" β4 = 10, "adversary.z" β5 = 1 (csvae_paper_weights()).
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/adversaries.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood, class WPrior = switch_prior>
using csvae = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>,
                              label_blocks<"w", dynamic, WPrior, gaussian_posterior<from_x_and_y>>>,
                    Likelihood, entropy_adversary<"z">>;

/// The paper's loss weights β1…β5 (seed 000 §5; MODELS.md §4), for the element-mean reconstruction.
inline model_options csvae_paper_weights(model_options o = {}) {
    return o.weight("recon", 20).weight("kl.w", 1).weight("kl.z", 0.2).weight("entropy.z", 10).weight("adversary.z", 1);
}

}  // namespace latent
