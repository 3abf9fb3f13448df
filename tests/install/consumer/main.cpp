// A user's program: include the umbrella header, fit y = 3x + 1 with one linear op.
#include <latent/latent.hpp>

#include <cmath>
#include <cstdio>

int main() {
    using namespace latent;
    parameter<float> w("w", tensor<float>::zeros({1, 1})), b("b", tensor<float>::zeros({1}));
    const auto x = tensor<float>::from_host({4, 1}, {0.f, 1.f, 2.f, 3.f});
    const auto y = tensor<float>::from_host({4, 1}, {1.f, 4.f, 7.f, 10.f});
    for (int step = 0; step < 500; ++step) {
        w.zero_grad();
        b.zero_grad();
        auto loss = mean(square(linear(var<float>(x), w.as_var(), b.as_var()) - var<float>(y)));
        backward(loss);
        for (auto* p : {&w, &b}) {
            auto v = p->value().to_vector(), g = p->grad().to_vector();
            for (std::size_t i = 0; i < v.size(); ++i) v[i] -= 0.05f * g[i];
            p->value() = tensor<float>::from_host(p->shape(), v);
        }
    }
    const float wf = w.value().item(), bf = b.value().item();
    if (std::fabs(wf - 3.f) > 1e-2f || std::fabs(bf - 1.f) > 1e-2f) {
        std::printf("consumer failed: w=%g b=%g\n", wf, bf);
        return 1;
    }
    std::printf("consumer ok: w=%.3f b=%.3f\n", wf, bf);
    return 0;
}
