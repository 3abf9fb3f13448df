// latent/optim/clip.hpp: gradient clipping by the global norm, as torch.nn.utils.clip_grad_norm_.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "latent/autograd/parameter.hpp"
#include "latent/core/error.hpp"

namespace latent {

namespace kernels {
/// out[i] = |in[i]|ᵖ, with p = 1 and p = 2 exact (no pow).
template <class T>
struct abs_pow {
    const T* in;
    T* out;
    T p;
    LATENT_HD void operator()(std::size_t i) const {
        using std::pow;
        const T a = in[i] < T(0) ? -in[i] : in[i];
        out[i] = p == T(2) ? a * a : p == T(1) ? a : pow(a, p);
    }
};
/// out[c] = max |in[k]| over the chunk [c·chunk, min(n, (c+1)·chunk)); NaN wins, as in torch.max.
template <class T>
struct chunk_abs_max {
    const T* in;
    T* out;
    std::size_t n, chunk;
    LATENT_HD void operator()(std::size_t c) const {
        const std::size_t lo = c * chunk, hi = lo + chunk < n ? lo + chunk : n;
        T m = T(0);
        for (std::size_t k = lo; k < hi; ++k) {
            const T a = in[k] < T(0) ? -in[k] : in[k];
            if (a > m || a != a) m = a;
            if (m != m) break;
        }
        out[c] = m;
    }
};
}  // namespace kernels

/// Scales the gradients of the trainable parameters in `params` so that their
/// global norm (of all gradients together, as one vector) is at most max_norm,
/// exactly as torch.nn.utils.clip_grad_norm_:
///   total = (Σ |g|ᵖ)^(1/p), or max |g| for p = ∞
///   coef  = max_norm / (total + 1e-6); every g *= coef when coef < 1.
/// Frozen parameters are left out (PyTorch skips parameters without a gradient).
/// A NaN or infinite total norm makes the gradients NaN (or zero), as in PyTorch,
/// unless error_if_nonfinite, which throws numeric_error instead.
///
/// requires: max_norm ≥ 0, norm_type > 0, no null pointer (config_error otherwise).
/// ensures:  returns the total norm before clipping (0 when no parameter is
///           trainable); the reductions run on the backend (one kernel and a
///           row_sums per parameter) and one value comes back to the host.
template <scalar T, backend B>
double clip_grad_norm(std::span<parameter<T, B>* const> params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false) {
    LATENT_CHECK(max_norm >= 0, config_error, "clip_grad_norm: max_norm must be >= 0, not ", max_norm);
    LATENT_CHECK(norm_type > 0, config_error, "clip_grad_norm: norm_type must be > 0 (or infinity), not ", norm_type);
    const bool inf = std::isinf(norm_type);
    constexpr std::size_t chunk = 4096;  // elements one work item of the max reduction scans

    std::size_t count = 0, scratch_size = 1;
    for (std::size_t i = 0; i < params.size(); ++i) {
        parameter<T, B>* p = params[i];
        LATENT_CHECK(p != nullptr, config_error, "clip_grad_norm: parameter pointer ", i, " is null");
        if (!p->trainable()) continue;
        ++count;
        const std::size_t n = p->grad().size();
        const std::size_t need = inf ? (n + chunk - 1) / chunk : n;
        if (need > scratch_size) scratch_size = need;
    }
    if (count == 0) return 0.0;

    tensor<T, B> scratch(shape{static_cast<std::int64_t>(scratch_size)});
    tensor<T, B> per_param(shape{static_cast<std::int64_t>(count)});  // Σ|g|ᵖ or max|g| of each parameter
    std::size_t j = 0;
    for (parameter<T, B>* p : params) {
        if (!p->trainable()) continue;
        const T* g = p->grad().data();
        const std::size_t n = p->grad().size();
        T* out = per_param.data() + j++;
        if (inf) {
            const std::size_t chunks = (n + chunk - 1) / chunk;
            launch_coarse(B{}, chunks, kernels::chunk_abs_max<T>{g, scratch.data(), n, chunk});
            launch(B{}, 1, kernels::chunk_abs_max<T>{scratch.data(), out, chunks, chunks});
        } else {
            launch(B{}, n, kernels::abs_pow<T>{g, scratch.data(), T(norm_type)});
            row_sums(B{}, scratch.data(), 1, n, out);
        }
    }
    tensor<T, B> reduced(shape{});
    if (inf) launch(B{}, 1, kernels::chunk_abs_max<T>{per_param.data(), reduced.data(), count, count});
    else row_sums(B{}, per_param.data(), 1, count, reduced.data());

    // In T, as PyTorch computes the norm and the coefficient in the gradients' type;
    // max_norm / x is evaluated as (1 / x)·max_norm, as torch's __rtruediv__ does.
    const T r = reduced.item();
    using std::pow;
    using std::sqrt;
    const T total = inf || norm_type == 1 ? r : norm_type == 2 ? sqrt(r) : pow(r, T(1 / norm_type));
    LATENT_CHECK(!error_if_nonfinite || std::isfinite(total), numeric_error, "clip_grad_norm: the total norm of order ",
                 norm_type, " of the gradients is ", total, ", so they cannot be clipped");
    const T coef = T(1) / (total + T(1e-6)) * T(max_norm);
    if (!(coef >= T(1))) {  // coef < 1, or NaN, which PyTorch multiplies in too
        for (parameter<T, B>* p : params)
            if (p->trainable()) launch(B{}, p->grad().size(), kernels::scale<T>{p->grad().data(), coef});
    }
    return static_cast<double>(total);
}

template <scalar T, backend B>
double clip_grad_norm(const std::vector<parameter<T, B>*>& params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false) {
    return clip_grad_norm(std::span<parameter<T, B>* const>(params), max_norm, norm_type, error_if_nonfinite);
}

}  // namespace latent
