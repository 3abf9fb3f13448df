// latent/models/diva.hpp: the modified DIVA of seed 002 (MODELS.md §6), a CCVAE baseline: CCVAE's
// latent split and learned conditional priors with an auxiliary classifier (objectives/diva.hpp).
#pragma once

#include "latent/models/ccvae.hpp"
#include "latent/models/model.hpp"
#include "latent/objectives/diva.hpp"

namespace latent {

/// Binary labels, one characteristic dimension per label (models/ccvae.hpp's ccvae_space).
template <class Likelihood = laplace_likelihood>
using diva = model<ccvae_space, Likelihood, diva_objective<"c">>;

/// One categorical label (ccvae_categorical_space).
template <class Likelihood = bernoulli_likelihood>
using diva_categorical = model<ccvae_categorical_space, Likelihood, diva_objective<"c">>;

}  // namespace latent
