// latent/models/vae.hpp: VAE and β-VAE (MODELS.md §1).
//
// L = E_q[−log p(x|z)] + β·KL(q(z|x) ‖ N(0, I)); β is the weight "kl.z"
// (model_options{}.weight("kl.z", β)), 1 for the VAE. The size of z is set
// at run time: model_options{}.size("z", d).
#pragma once

#include "latent/models/model.hpp"

namespace latent {

template <class Likelihood = bernoulli_likelihood>
using vae = model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>>, Likelihood>;

/// The same model; the name says that "kl.z" (β) is meant to differ from 1.
template <class Likelihood = bernoulli_likelihood>
using beta_vae = vae<Likelihood>;

}  // namespace latent
