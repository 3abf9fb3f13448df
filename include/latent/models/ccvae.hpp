// latent/models/ccvae.hpp: CCVAE (MODELS.md §5, seed 002) as instantiations of the model template.
//
// z = (z_c, z_\c): the characteristic segment "c" and the free segment "z", both Gaussian
// posteriors q(·|x); the objective is CCVAE's supervised/unsupervised bound pair
// (objectives/ccvae.hpp), which also owns the classifier q(y|z_c).
//  - ccvae: binary labels, one characteristic dimension per label (label_blocks<"c", 1>) with the
//    learned per-label-value prior (seed 002's CelebA model; Laplace likelihood by default).
//  - ccvae_categorical: one multi-class label (Fashion-MNIST, MNIST; seed 002 §D.6), z_c one
//    block with a learned Normal per class.
// Sizes: "c" for ccvae_categorical, "z" for both (model_options::size).
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/ccvae.hpp"

namespace latent {

/// CCVAE's latent split for binary labels: one dimension of z_c per label with the learned
/// per-label-value prior, and the free z ~ N(0, I). DIVA (models/diva.hpp) shares it.
using ccvae_space = partition<label_blocks<"c", 1, learned_conditional_prior, gaussian_posterior<from_x>>,
                              block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>;

/// The same for one categorical label: z_c one block with a learned Normal per class.
using ccvae_categorical_space = partition<block<"c", dynamic, class_conditional_prior, gaussian_posterior<from_x>>,
                                          block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>;

template <class Likelihood = laplace_likelihood>
using ccvae = model<ccvae_space, Likelihood, ccvae_objective<"c">>;

template <class Likelihood = bernoulli_likelihood>
using ccvae_categorical = model<ccvae_categorical_space, Likelihood, ccvae_objective<"c">>;

}  // namespace latent
