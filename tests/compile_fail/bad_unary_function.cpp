// map() takes a unary function with value(x), derivative(x, y) and a name.
// expect: satisfaction of .+unary_function<F, T>.+with F = half
#include <latent/autograd/ops/elementwise.hpp>

struct half {
    template <class T> T value(T x) const { return x / 2; }
};

int main() {
    latent::var<float> x(latent::tensor<float>::zeros({1}));
    latent::map(x, half{});
}
