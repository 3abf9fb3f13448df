// latent/models/diva.hpp: the modified DIVA of seed 002 (MODELS.md §6), a CCVAE baseline: CCVAE's
// latent split and learned conditional priors with an auxiliary classifier (objectives/diva.hpp).
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/diva.hpp"

namespace latent {

/// Binary labels, one characteristic dimension per label (as models/ccvae.hpp's ccvae).
template <class Likelihood = laplace_likelihood>
using diva = model<partition<label_blocks<"c", 1, learned_conditional_prior, gaussian_posterior<from_x>>,
                             block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>,
                   Likelihood, diva_objective<"c">>;

/// One categorical label (as ccvae_categorical).
template <class Likelihood = bernoulli_likelihood>
using diva_categorical = model<partition<block<"c", dynamic, class_conditional_prior, gaussian_posterior<from_x>>,
                                         block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>,
                               Likelihood, diva_objective<"c">>;

}  // namespace latent
