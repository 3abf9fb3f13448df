// Autograd differentiates floating-point values only.
// expect: satisfaction of .+scalar<T>.+with T = int
#include <latent/autograd/var.hpp>

int main() { latent::var<int> v; }
