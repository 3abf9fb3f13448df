// A backend must provide the memory, launch and algebra functions; a bare tag is refused.
// expect: satisfaction of .+backend<B>.+with B = my_gpu
#include <latent/tensor/tensor.hpp>

struct my_gpu {
    static constexpr const char* name = "mine";
};

int main() { latent::tensor<float, my_gpu> t; }
