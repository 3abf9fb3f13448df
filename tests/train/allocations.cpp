// A training step in steady state makes no heap allocation: this file replaces
// the global operator new and (outside AddressSanitizer, which owns malloc)
// malloc and friends with counting versions, warms up an MLP and a conv VAE,
// then counts over several more steps.
#include <doctest/doctest.h>

#include <latent/engine.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

// Our operator new is malloc, so free() in operator delete matches it; GCC cannot see that.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> news{0}, mallocs{0};
}  // namespace

void* operator new(std::size_t n) {
    news.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
    news.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + std::size_t(a) - 1) / std::size_t(a) * std::size_t(a)))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#if !defined(__SANITIZE_ADDRESS__)
#define LATENT_COUNT_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t n) {
    mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t s) {
    mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, s);
}
void* realloc(void* p, std::size_t n) {
    mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
    mallocs.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, std::size_t a, std::size_t n) {
    mallocs.fetch_add(1, std::memory_order_relaxed);
    *out = __libc_memalign(a, n);
    return *out ? 0 : 12;
}
}
#endif

using namespace latent;

namespace {
/// Heap allocations made by `step` over `count` calls after `warmup` calls.
template <class Step>
std::pair<long, long> allocations_in_steady_state(Step step, int warmup = 3, int count = 5) {
    for (int i = 0; i < warmup; ++i) step();
    const long n0 = news.load(), m0 = mallocs.load();
    for (int i = 0; i < count; ++i) step();
    return {news.load() - n0, mallocs.load() - m0};
}
}  // namespace

TEST_CASE("allocations: the counters see ordinary allocations") {
    const long n0 = news.load();
    auto* v = new std::vector<int>(100);
    delete v;
    CHECK(news.load() - n0 >= 1);
#ifdef LATENT_COUNT_MALLOC
    const long m0 = mallocs.load();
    void* volatile p = std::malloc(64);
    std::free(p);
    CHECK(mallocs.load() - m0 >= 1);
#endif
}

TEST_CASE("allocations: an MLP training step in steady state allocates nothing") {
    generator gen(1);
    auto net = nn::mlp<float>({64, 64, 64, 64}, gen);
    adam<float> opt(net->parameters("default"), adam_options{}.lr(1e-3));
    tensor<float> x({64, 64}), y({64, 64});
    normal_(x, gen);
    normal_(y, gen);
    auto [n, m] = allocations_in_steady_state([&] {
        opt.zero_grad();
        backward(mse(net->forward(var<float>(x)), var<float>(y)));
        opt.step();
    });
    CHECK(n == 0);
    CHECK(m == 0);
}

TEST_CASE("allocations: a conv VAE training step in steady state allocates nothing") {
    generator gen(2);
    const auto stack = nn::conv_stack_28();
    auto enc = nn::conv_encoder<float>(stack, 2 * 8, gen);
    auto dec = nn::conv_decoder<float>(stack, 8, gen);
    std::vector<parameter<float>*> params = enc->parameters("default");
    for (auto* p : dec->parameters("default")) params.push_back(p);
    adam<float> opt(params, adam_options{}.lr(1e-3));
    tensor<float> x({16, 1, 28, 28}), eps({16, 8});
    uniform_(x, gen);
    auto [n, m] = allocations_in_steady_state([&] {
        opt.zero_grad();
        const auto h = enc->forward(var<float>(x));
        const auto mu = slice_features(h, 0, 8), logvar = slice_features(h, 8, 16);
        normal_(eps, gen);
        const auto z = mu + exp(0.5 * logvar) * var<float>(eps);
        const auto rec = sum(binary_cross_entropy_with_logits(dec->forward(z), var<float>(x)));
        const auto kl = -0.5 * sum(1.0 + logvar - square(mu) - exp(logvar));
        backward((rec + kl) / 16.0);
        opt.step();
    });
    CHECK(n == 0);
    CHECK(m == 0);
}
