// latent/models/triplet_vae.hpp: the oracle-constraint triplet VAE of Karaletsos et al. (seed 004; MODELS.md §9).
//
// One Gaussian latent z with p(z) = N(0, I), and beside the ELBO the triplet term
// (objectives/triplet.hpp): each label column is a query holding a factor's value index, and
// the samples of z must put an anchor nearer to an example of its value than to one of another
// value, in the query's masked subspace. Loss:
//     recon + kl.z (the ELBO, weights "recon", "kl.z")
//   + triplet: mean over the batch's valid (query, anchor) of softplus(d_q(i, j) − d_q(i, k))
//   [+ triplet.mask_l1, with learned_masks].
// Sizes and settings: size("z", D); set("triplet.mask_dims", m) (fixed_masks: query q owns
// dims [q·m, (q + 1)·m), default ⌊D / Q⌋); weight("triplet", w); weight("triplet.mask_l1", w)
// (learned_masks, default 0.01). Data: labels [n, Q] of value indices, e.g. the shapes set
// with several categorical labels (data/shapes.hpp).
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/triplet.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood, class Masks = fixed_masks>
using triplet_vae = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>, Likelihood,
                          triplet_constraint<"z", Masks>>;

}  // namespace latent
