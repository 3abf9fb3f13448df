// latent/models/cond_vae.hpp: CondVAE (MODELS.md §2) and CondVAE-info (§3).
//
// CondVAE: q(z | x, y), p(x | z, y), p(z) = N(0, I).
// CondVAE-info: q(z | x), p(x | z, y), and an adversary r(y | z) whose
// cross-entropy the encoder maximises (weight "ce.z" = λ, the adversary's own
// loss weight "adversary.z").
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/adversaries.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood>
using cond_vae = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x_and_y>>>, Likelihood,
                       conditional_decoder>;

template <class Likelihood = bernoulli_likelihood>
using cond_vae_info = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>, Likelihood,
                            conditional_decoder, cross_entropy_adversary<"z">>;

}  // namespace latent
