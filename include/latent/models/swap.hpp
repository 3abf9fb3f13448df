// latent/models/swap.hpp: the swap model of Mathieu et al. (seed 003; MODELS.md §7).
//
// Latent (z, s): z the unspecified code, q(z | x) Gaussian with p(z) = N(0, I); s the
// specified code, deterministic s = f_s(x), with no prior. Both heads read one encoder trunk.
// The decoder reads [z, s] through its first linear layer, W·[z; s] + b = W_z·z + W_s·s + b:
// the paper's "each code through its own fully connected layer, the two added" with the two
// biases summed into one. Loss (generator step of Algorithm 1):
//     ELBO of x1 (reconstruction of Dec(z1, s1), weight "recon"; KL of z, weight "kl.z")
//   + swap_recon.s: −log p(x1 | Dec(z1, s1')), x1' of x1's label (objectives/swap_reconstruction.hpp)
//   + gan.s: λ·(−log D(Dec(z1, s2), id2) − log D(Dec(z, s2), id2)) (objectives/gan.hpp)
// and the adversary step on the discriminator's own group. swap_model_without_adversary is the
// ablation: the same model and losses without gan.s (and without a discriminator).
// Train with trainer_options::alternating(true) for Algorithm 1's order, and, as the authors
// did, group_optimizer("discriminator", sgd_options{}.lr(…)).
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/gan.hpp"
#include "latent/objectives/swap_reconstruction.hpp"

namespace latent {

/// z (unspecified, Gaussian) then s (specified, deterministic): sizes set with size("z", n) and size("s", n).
using swap_space = partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>,
                             block<"s", dynamic, no_prior, deterministic<from_x>>>;

template <class Likelihood = bernoulli_likelihood>
using swap_model = model<swap_space, Likelihood, same_label_reconstruction<"s">, gan_discriminator<"s">>;

template <class Likelihood = bernoulli_likelihood>
using swap_model_without_adversary = model<swap_space, Likelihood, same_label_reconstruction<"s">>;

}  // namespace latent
