// A tensor holds float, double, int32 or uint8; anything else is refused at the type.
// expect: satisfaction of .+element<T>.+with T = long long int
#include <latent/tensor/tensor.hpp>

int main() { latent::tensor<long long> t; }
