// latent/models/tcvae.hpp: β-TCVAE (MODELS.md §8; Chen et al. 2018, seed 004).
//
// The VAE's one Gaussian segment z under N(0, I), with the KL term split into index-code mutual
// information, total correlation and dimension-wise KL (objectives/tcvae.hpp), weighted
// α = "tc.mi", β = "tc.tc", γ = "tc.dwkl". The setting "tc.dataset_size" (N) is required:
//   beta_tcvae<>::build(cpu{}, layout, nets, model_options{}.size("z", 10).weight("tc.tc", 6)
//                                                         .set("tc.dataset_size", n_train));
// The estimator of log q(z) is a type: minibatch_weighted (the default) or minibatch_stratified.
#pragma once

#include "latent/models/model.hpp"
#include "latent/objectives/tcvae.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood, tc_estimator Estimator = minibatch_weighted>
using beta_tcvae = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>, Likelihood,
                         tc_objective<"z", Estimator>>;

}  // namespace latent
