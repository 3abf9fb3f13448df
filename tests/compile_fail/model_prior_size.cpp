// A prior made for a segment of one size may not sit on a block of another.
// expect: this block's prior is for a segment of another size
#include <latent/models/model.hpp>

struct three_dim_prior : latent::standard_normal {
    static constexpr std::int64_t dim = 3;
};
using space = latent::partition<latent::block<"z", 2, three_dim_prior, latent::gaussian_posterior<>>>;
using broken = latent::model<space, latent::bernoulli_likelihood>;
int main() { return broken::decoder_sees_labels ? 1 : 0; }
