// A Monte Carlo KL scores its draws under both distributions: a point mass has no density.
// expect: satisfaction of .+has_log_prob<Q>.+with Q = latent::dist::delta<float
#include <latent/dist/kl.hpp>
#include <latent/dist/delta.hpp>

int main() {
    latent::var<float> code(latent::tensor<float>::zeros({2, 3}));
    const latent::dist::delta<float> q{code};
    const latent::dist::normal<float> p{code, code};
    latent::generator gen(0);
    latent::dist::kl_monte_carlo(q, p, gen);
}
