// latent/tensor/kernels.hpp: the elementary kernels tensors themselves need
// (fill, copy with conversion, scaled accumulation, finiteness).
#pragma once

#include <cmath>
#include <cstddef>

#include "latent/config.hpp"

namespace latent::kernels {

template <class T>
struct fill {
    T* out;
    T value;
    LATENT_HD void operator()(std::size_t i) const { out[i] = value; }
};

template <class To, class From>
struct convert {
    To* out;
    const From* in;
    LATENT_HD void operator()(std::size_t i) const { out[i] = static_cast<To>(in[i]); }
};

/// out[i] += alpha * in[i]
template <class T>
struct axpy {
    T* out;
    const T* in;
    T alpha;
    LATENT_HD void operator()(std::size_t i) const { out[i] += alpha * in[i]; }
};

/// out[i] += in[i]
template <class T>
struct accumulate {
    T* out;
    const T* in;
    LATENT_HD void operator()(std::size_t i) const { out[i] += in[i]; }
};

/// out[i] *= alpha
template <class T>
struct scale {
    T* out;
    T alpha;
    LATENT_HD void operator()(std::size_t i) const { out[i] *= alpha; }
};

/// Sets *flag to 1 if any element is NaN or infinite (every writer writes the same value).
template <class T>
struct flag_nonfinite {
    const T* in;
    int* flag;
    LATENT_HD void operator()(std::size_t i) const {
        if (!isfinite(in[i])) *flag = 1;
    }
    LATENT_HD static bool isfinite(T v) { return v == v && v - v == T(0); }
};

}  // namespace latent::kernels
