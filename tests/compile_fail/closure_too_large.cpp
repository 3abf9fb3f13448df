// A backward closure must fit inside the tape entry; a larger one names the limit.
// expect: tape_closure_capacity
#include <latent/autograd/tape.hpp>

#include <array>

int main() {
    latent::var<float> x(latent::tensor<float>::zeros({1}));
    std::array<char, 4096> big{};
    latent::record("big", x.value(), {&x}, [big](latent::tensor<float>&, auto&) { (void)big; });
}
