// An adversary on a segment the latent space does not have is refused at compile time.
// expect: this latent partition has no block of that name
#include <latent/models/model.hpp>
#include <latent/objectives/adversaries.hpp>

using space = latent::partition<latent::block<"z", 2, latent::standard_normal, latent::gaussian_posterior<>>>;
using broken = latent::model<space, latent::bernoulli_likelihood, latent::entropy_adversary<"w">>;
int main() { return broken::decoder_sees_labels ? 1 : 0; }
