// latent/optim/adam.hpp: Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW.
//
// Both are one fused kernel over every parameter of the group (a table of
// where each parameter lives, kept in the optimizer) on torch 1.13's
// single-tensor formulas; they differ only in where weight decay enters: Adam adds wd·p to
// the gradient (L2 regularisation, which the moments then rescale), AdamW
// shrinks the parameter by (1 - lr·wd) before the update (decoupled decay,
// Loshchilov & Hutter).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "latent/optim/optimizer.hpp"

namespace latent {

namespace detail {
/// The options Adam and AdamW share, with fluent setters returning the derived type.
template <class Self>
class adam_family_options {
public:
    Self& lr(double v) { lr_ = v; return self(); }
    Self& betas(double beta1, double beta2) { betas_ = {beta1, beta2}; return self(); }
    Self& eps(double v) { eps_ = v; return self(); }
    Self& weight_decay(double v) { weight_decay_ = v; return self(); }
    /// Divide by the largest second moment seen so far (Reddi et al.), not the current one.
    Self& amsgrad(bool v) { amsgrad_ = v; return self(); }

    double lr() const { return lr_; }
    std::pair<double, double> betas() const { return betas_; }
    double eps() const { return eps_; }
    double weight_decay() const { return weight_decay_; }
    bool amsgrad() const { return amsgrad_; }

    /// Throws config_error naming the option at fault: lr < 0, eps < 0, a beta
    /// outside [0, 1), weight_decay < 0 (PyTorch's checks).
    void validate() const {
        const char* who = Self::name;
        LATENT_CHECK(lr_ >= 0, config_error, who, ": lr must be >= 0, not ", lr_);
        LATENT_CHECK(eps_ >= 0, config_error, who, ": eps must be >= 0, not ", eps_);
        LATENT_CHECK(betas_.first >= 0 && betas_.first < 1, config_error, who, ": betas[0] must be in [0, 1), not ",
                     betas_.first);
        LATENT_CHECK(betas_.second >= 0 && betas_.second < 1, config_error, who,
                     ": betas[1] must be in [0, 1), not ", betas_.second);
        LATENT_CHECK(weight_decay_ >= 0, config_error, who, ": weight_decay must be >= 0, not ", weight_decay_);
    }

protected:
    explicit adam_family_options(double weight_decay) : weight_decay_(weight_decay) {}

private:
    Self& self() { return static_cast<Self&>(*this); }

    double lr_ = 1e-3;
    std::pair<double, double> betas_{0.9, 0.999};
    double eps_ = 1e-8;
    double weight_decay_;
    bool amsgrad_ = false;
};
}  // namespace detail

/// Options of adam: `adam_options{}.lr(1e-3).betas(0.9, 0.999).eps(1e-8).weight_decay(0).amsgrad(false)`
/// (those are the defaults, PyTorch's).
struct adam_options : detail::adam_family_options<adam_options> {
    static constexpr const char* name = "adam_options";
    adam_options() : adam_family_options(0.0) {}
};

/// Options of adamw: as adam_options, but weight_decay defaults to 1e-2 (PyTorch's) and is decoupled.
struct adamw_options : detail::adam_family_options<adamw_options> {
    static constexpr const char* name = "adamw_options";
    adamw_options() : adam_family_options(1e-2) {}
};

namespace kernels {

/// Where one parameter of an Adam group lives, in the group's device table (built once, rebuilt
/// only when a pointer changes). `first` is its first element's index in the launch, a multiple of
/// adam_chunk; `vmax` is null without amsgrad.
template <class T>
struct adam_slot {
    T* value;
    const T* grad;
    T* m;
    T* v;
    T* vmax;
    std::size_t size;
    std::size_t first;
    friend bool operator==(const adam_slot&, const adam_slot&) = default;
};

/// What changes per step for one parameter: step_size = lr / bc1, bc2_sqrt = √bc2 (bc = 1 - βᵗ, in
/// double on the host, as PyTorch's Python floats) and whether this is its first step (`fresh`:
/// m, v and v̂ read as zeros).
template <class T>
struct adam_scalars {
    T step_size, bc2_sqrt;
    int fresh;
};

/// Elements of one parameter per entry of a group's chunk table: each parameter starts at a
/// multiple of it, so the owner of launch index i is owner[i / adam_chunk], found without a search.
inline constexpr std::size_t adam_chunk = 256;

/// One Adam/AdamW step of every parameter of a group, in one launch (torch 1.13 single-tensor):
///   Adam:  g = g + wd·p            AdamW: p = p·(1 - lr·wd)
///   m = β1·m + (1 - β1)·g
///   v = β2·v + (1 - β2)·g²
///   amsgrad: v̂ = max(v̂, v), else v̂ = v
///   p = p - step_size · m / (√v̂ / √bc2 + eps),  step_size = lr / bc1,
///   bc1 = 1 - β1ᵗ, bc2 = 1 - β2ᵗ (per parameter: step counts may differ).
/// Work item `item` covers the Width launch indices from item·Width (Width divides adam_chunk, so
/// they belong to one parameter): index i is element i - first of parameter owner[i / adam_chunk];
/// indices past its size (the padding to a whole chunk) do nothing. Width = 1 on a GPU (a thread per
/// element); the cpu backend takes whole chunks, whose inner loop it can vectorise.
template <class T, std::size_t Width = 1>
struct adam_group_step {
    static_assert(Width >= 1 && adam_chunk % Width == 0, "adam_group_step: Width must divide adam_chunk");
    const adam_slot<T>* slots;
    const adam_scalars<T>* scalars;
    const std::uint32_t* owner;
    adam_scalars<T> common;  // every parameter's scalars when `scalars` is null (equal step counts)
    T beta1, beta2, one_minus_beta1, one_minus_beta2;
    T weight_decay;  // coupled (Adam); 0 for AdamW
    T shrink;        // decoupled (AdamW): 1 - lr·wd; 1 for Adam
    T eps;
    LATENT_HD void operator()(std::size_t item) const {
        using std::sqrt;
        const std::size_t idx = item * Width;
        const std::uint32_t k = owner[idx / adam_chunk];
        const adam_slot<T> s = slots[k];
        const std::size_t begin = idx - s.first;
        if (begin >= s.size) return;
        const std::size_t end = begin + Width < s.size ? begin + Width : s.size;
        const adam_scalars<T> c = scalars ? scalars[k] : common;
        const bool fresh = c.fresh != 0;
        T* value = s.value;
        for (std::size_t i = begin; i < end; ++i) {
            T p = value[i] * shrink;
            T g = s.grad[i];
            if (weight_decay != T(0)) g += weight_decay * value[i];
            const T mi = (fresh ? T(0) : beta1 * s.m[i]) + one_minus_beta1 * g;
            const T vi = (fresh ? T(0) : beta2 * s.v[i]) + one_minus_beta2 * g * g;
            s.m[i] = mi;
            s.v[i] = vi;
            T vhat = vi;
            if (s.vmax) {
                // NaN-propagating max, as torch.maximum
                if (!fresh && (s.vmax[i] > vhat || s.vmax[i] != s.vmax[i])) vhat = s.vmax[i];
                s.vmax[i] = vhat;
            }
            const T denom = sqrt(vhat) / c.bc2_sqrt + eps;
            value[i] = p - c.step_size * (mi / denom);
        }
    }
};
}  // namespace kernels

namespace detail {
/// Adam and AdamW: the same step, with weight decay coupled or decoupled.
template <scalar T, backend B, class Options, bool Decoupled>
class adam_family : public optimizer_base<T, B> {
public:
    using typename optimizer_base<T, B>::parameter_type;

    adam_family(std::span<parameter_type* const> params, Options options, const char* who)
        : optimizer_base<T, B>(params, who), options_(options), who_(who) {
        options_.validate();
    }

    const Options& options() const { return options_; }
    double lr() const { return options_.lr(); }
    /// Changes the learning rate (schedules call this); throws config_error if lr < 0.
    void set_lr(double lr) {
        LATENT_CHECK(lr >= 0, config_error, who_, ": lr must be >= 0, not ", lr);
        options_.lr(lr);
    }

    /// One update of every trainable parameter, all in ONE kernel launch (kernels::adam_group_step),
    /// with no host-to-backend copy when all parameters are at the same step. The table of where the parameters live
    /// is built on the first step and rebuilt only when a parameter, its gradient or state moves
    /// (freezing, thawing, loading); no allocation after the first step otherwise.
    /// optimizer_state() holds {exp_avg, exp_avg_sq} (and max_exp_avg_sq with amsgrad), PyTorch's
    /// names and order. The numbers are those of one kernel per parameter (same formulas, same order).
    void step() {
        const auto [beta1, beta2] = options_.betas();
        const double lr = options_.lr(), wd = options_.weight_decay();
        const std::size_t count = options_.amsgrad() ? 3 : 2;
        slots_now_.clear();
        scalars_.clear();
        std::size_t first = 0;
        for (parameter_type* p : this->params_) {
            if (!p->trainable()) continue;
            const bool fresh = this->prepare_state(*p, count, who_);
            const auto t = static_cast<double>(++p->optimizer_steps());
            // Host scalars in double, as PyTorch computes them in Python floats.
            const double bc1 = 1 - std::pow(beta1, t);
            const double bc2 = 1 - std::pow(beta2, t);
            auto& state = p->optimizer_state();
            const std::size_t size = p->value().size();
            slots_now_.push_back(kernels::adam_slot<T>{p->value().data(), p->grad().data(), state[0].data(),
                                                       state[1].data(), options_.amsgrad() ? state[2].data() : nullptr,
                                                       size, first});
            scalars_.push_back(kernels::adam_scalars<T>{T(lr / bc1), T(std::sqrt(bc2)), fresh ? 1 : 0});
            first += (size + kernels::adam_chunk - 1) / kernels::adam_chunk * kernels::adam_chunk;
        }
        if (slots_now_.empty()) return;
        if (slots_now_ != slots_) rebuild_table(first);
        // Usually every parameter is at the same step: its scalars then travel as kernel arguments and
        // a step moves nothing from the host. Otherwise (a parameter thawed later) they are uploaded.
        bool same = true;
        for (const auto& c : scalars_) same = same && c.step_size == scalars_[0].step_size &&
                                               c.bc2_sqrt == scalars_[0].bc2_sqrt && c.fresh == scalars_[0].fresh;
        if (!same)
            copy_from_host(B{}, scalars_device_.data(), scalars_.data(), scalars_.size() * sizeof(scalars_[0]));
        // A thread per element on a GPU; on the cpu whole chunks, whose inner loop vectorises.
        constexpr std::size_t width = std::is_same_v<B, cpu> ? kernels::adam_chunk : 1;
        const kernels::adam_group_step<T, width> kernel{
            static_cast<const kernels::adam_slot<T>*>(slots_device_.data()),
            same ? nullptr : static_cast<const kernels::adam_scalars<T>*>(scalars_device_.data()),
            static_cast<const std::uint32_t*>(owner_device_.data()), scalars_[0], T(beta1), T(beta2), T(1 - beta1),
            T(1 - beta2), T(Decoupled ? 0.0 : wd), T(Decoupled ? 1 - lr * wd : 1.0), T(options_.eps())};
        if constexpr (width == 1) launch(B{}, first, kernel);
        else launch_coarse(B{}, first / width, kernel);
    }

private:
    /// Uploads the slots and the chunk-owner table for a launch of `total` indices.
    void rebuild_table(std::size_t total) {
        slots_ = slots_now_;
        std::vector<std::uint32_t> owner(total / kernels::adam_chunk);
        for (std::size_t k = 0; k < slots_.size(); ++k) {
            const std::size_t end = k + 1 < slots_.size() ? slots_[k + 1].first : total;
            for (std::size_t c = slots_[k].first / kernels::adam_chunk; c < end / kernels::adam_chunk; ++c)
                owner[c] = static_cast<std::uint32_t>(k);
        }
        slots_device_ = buffer<B>(slots_.size() * sizeof(slots_[0]));
        owner_device_ = buffer<B>(owner.size() * sizeof(owner[0]));
        scalars_device_ = buffer<B>(slots_.size() * sizeof(scalars_[0]));
        copy_from_host(B{}, slots_device_.data(), slots_.data(), slots_.size() * sizeof(slots_[0]));
        copy_from_host(B{}, owner_device_.data(), owner.data(), owner.size() * sizeof(owner[0]));
    }

    Options options_;
    const char* who_;
    // The group's table: as last uploaded (slots_, slots_device_, owner_device_), and this step's.
    std::vector<kernels::adam_slot<T>> slots_, slots_now_;
    std::vector<kernels::adam_scalars<T>> scalars_;
    buffer<B> slots_device_, owner_device_, scalars_device_;
};
}  // namespace detail

/// Adam (Kingma & Ba), exactly torch.optim.Adam (maximize=False); weight decay
/// is added to the gradient (L2).
///
/// requires: options pass validate(); the parameters outlive the optimizer.
/// ensures:  see detail::adam_family::step and kernels::adam_step.
template <scalar T = float, backend B = cpu>
class adam : public detail::adam_family<T, B, adam_options, false> {
public:
    using typename optimizer_base<T, B>::parameter_type;
    adam(std::span<parameter_type* const> params, adam_options options = {})
        : detail::adam_family<T, B, adam_options, false>(params, options, "adam") {}
};

/// AdamW, exactly torch.optim.AdamW (maximize=False): Adam with decoupled weight
/// decay, p ← p·(1 - lr·wd) before the Adam update.
template <scalar T = float, backend B = cpu>
class adamw : public detail::adam_family<T, B, adamw_options, true> {
public:
    using typename optimizer_base<T, B>::parameter_type;
    adamw(std::span<parameter_type* const> params, adamw_options options = {})
        : detail::adam_family<T, B, adamw_options, true>(params, options, "adamw") {}
};

template <scalar T, backend B>
adam(std::vector<parameter<T, B>*>) -> adam<T, B>;
template <scalar T, backend B>
adam(std::vector<parameter<T, B>*>, adam_options) -> adam<T, B>;
template <scalar T, backend B>
adam(std::span<parameter<T, B>* const>, adam_options) -> adam<T, B>;
template <scalar T, backend B>
adamw(std::vector<parameter<T, B>*>) -> adamw<T, B>;
template <scalar T, backend B>
adamw(std::vector<parameter<T, B>*>, adamw_options) -> adamw<T, B>;
template <scalar T, backend B>
adamw(std::span<parameter<T, B>* const>, adamw_options) -> adamw<T, B>;

}  // namespace latent
