// latent/models/m2.hpp: M2 of Kingma et al. 2014 (MODELS.md §6), a CCVAE baseline.
//
// y is a latent: q(z | x, y), q(y | x) (the objective's classifier network), p(x | y, z).
// Weight "m2.alpha" (α, default 0.1 per labelled-example mean; Kingma's 0.1·N on sums).
// Labels: one categorical label, or at most m2_max_binary_labels (6) binary labels, whose 2^L
// label vectors the unlabelled bound enumerates.
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/m2.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood>
using m2 = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x_and_y>>>, Likelihood,
                 conditional_decoder, m2_objective>;

}  // namespace latent
