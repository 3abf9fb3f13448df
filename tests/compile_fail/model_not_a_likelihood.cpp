// The model's second argument must be a likelihood policy.
// expect: Likelihood must be a likelihood policy
#include <latent/models/model.hpp>

using space = latent::partition<latent::block<"z", 2, latent::standard_normal, latent::gaussian_posterior<>>>;
using broken = latent::model<space, latent::standard_normal>;
int main() { return broken::decoder_sees_labels ? 1 : 0; }
