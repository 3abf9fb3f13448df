// A model takes one objective: two (here the ELBO and CCVAE's bounds) are refused at compile time.
// expect: at most one objective policy among the extras
#include <latent/models/model.hpp>
#include <latent/objectives/ccvae.hpp>

using space = latent::partition<latent::block<"c", 2, latent::class_conditional_prior, latent::gaussian_posterior<>>>;
using broken = latent::model<space, latent::bernoulli_likelihood, latent::elbo, latent::ccvae_objective<"c">>;
int main() { return broken::decoder_sees_labels ? 1 : 0; }
