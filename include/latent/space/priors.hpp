// latent/space/priors.hpp: p(segment) or p(segment | y), one policy per block.
//
// A prior policy is a type with a member template `impl<T, B>`, built once per
// model from the block's resolved segment. Its `distribution(y, n)` is the
// prior for a batch of n examples whose labels, as floats, are y [n, K] (K 0/1
// labels, or a one-hot class); it may ignore y. The model takes the KL between
// the block's posterior and this distribution (analytic for two Gaussians).
// Priors with learned parameters expose them through for_each_parameter.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/parameter.hpp"
#include "latent/core/rng.hpp"
#include "latent/dist/normal.hpp"
#include "latent/models/options.hpp"
#include "latent/space/partition.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

/// What a prior is built from.
struct prior_args {
    const segment& seg;
    std::int64_t labels;  // K: label columns of y
    const model_options& options;
    generator& gen;
};

/// p(segment) = N(0, I).
struct standard_normal {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const prior_args& a)
            : loc_(tensor<T, B>::zeros({1, a.seg.dim})), scale_(tensor<T, B>::ones({1, a.seg.dim})) {}
        dist::normal<T, B> distribution(const var<T, B>&, std::int64_t) const { return {loc_, scale_}; }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}

    private:
        var<T, B> loc_, scale_;
    };
};

namespace detail {
/// [K, K·d] with E[i, i·d + j] = 1: y·E repeats each label column over its block's d dims.
template <scalar T, backend B>
tensor<T, B> label_expansion(std::int64_t labels, std::int64_t per_label) {
    std::vector<T> e(static_cast<std::size_t>(labels * labels * per_label), T(0));
    for (std::int64_t i = 0; i < labels; ++i)
        for (std::int64_t j = 0; j < per_label; ++j)
            e[static_cast<std::size_t>(i * labels * per_label + i * per_label + j)] = T(1);
    return tensor<T, B>::from_host({labels, labels * per_label}, e);
}
/// y [n, K] → [n, K·d], each label's value repeated over its block; a block that is not per label sees none.
template <scalar T, backend B>
var<T, B> expand_labels(const var<T, B>& y, const tensor<T, B>& expansion, const segment& seg) {
    LATENT_CHECK(seg.per_label, config_error, "segment \"", seg.name,
                 "\": a label-conditional prior needs label_blocks (one block per label)");
    LATENT_CHECK(y.cols() == expansion.rows(), shape_error, "segment \"", seg.name, "\": labels ", y.shape(),
                 " do not match its ", expansion.rows(), " blocks");
    return matmul(y, var<T, B>(expansion));
}
}  // namespace detail

/// CSVAE's fixed p(w_i | y_i) (MODELS.md §4): N(μ_on·1, σ_on² I) where label i is on,
/// N(μ_off·1, σ_off² I) where it is off. Settings "prior.<segment>.mu_on" (default 3),
/// "sigma_on" (1), "mu_off" (0), "sigma_off" (0.1).
struct switch_prior {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const prior_args& a) : seg_(a.seg) {
            const std::string p = "prior." + a.seg.name + ".";
            mu_on_ = a.options.take(p + "mu_on", 3.0);
            sigma_on_ = a.options.take(p + "sigma_on", 1.0);
            mu_off_ = a.options.take(p + "mu_off", 0.0);
            sigma_off_ = a.options.take(p + "sigma_off", 0.1);
            LATENT_CHECK(sigma_on_ > 0 && sigma_off_ > 0, config_error, "switch_prior on \"", a.seg.name,
                         "\": scales must be positive, got sigma_on ", sigma_on_, " and sigma_off ", sigma_off_);
            if (a.seg.per_label) expansion_ = detail::label_expansion<T, B>(a.labels, a.seg.dim_per_label);
        }
        dist::normal<T, B> distribution(const var<T, B>& y, std::int64_t) const {
            const var<T, B> on = detail::expand_labels(y, expansion_, seg_);
            return {on * (mu_on_ - mu_off_) + mu_off_, on * (sigma_on_ - sigma_off_) + sigma_off_};
        }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}

        double mu_on() const { return mu_on_; }
        double mu_off() const { return mu_off_; }

    private:
        segment seg_;
        double mu_on_, sigma_on_, mu_off_, sigma_off_;
        tensor<T, B> expansion_;
    };
};

/// A learned label-conditional prior: per dimension, a location and a scale for
/// each label value, loc = y·loc_on + (1 − y)·loc_off, scale = max(softplus(y·s_on
/// + (1 − y)·s_off), 10⁻³) — CCVAE's diagonal conditional prior (MODELS.md §5),
/// usable for any label_blocks segment. Its parameters are in the model's group.
struct learned_conditional_prior {
    template <scalar T, backend B>
    struct impl {
        // Starts at switch_prior's defaults (scales 1 and 0.1), so that an untrained model already separates
        // the label values; "prior.<segment>.mu_on" / "mu_off" move the starting locations.
        explicit impl(const prior_args& a)
            : seg_(checked(a.seg)),
              expansion_(detail::label_expansion<T, B>(a.labels, a.seg.dim_per_label)),
              loc_on_(key(a, "loc_on"), filled(a, a.options.take(key(a, "mu_on"), 3.0))),
              loc_off_(key(a, "loc_off"), filled(a, a.options.take(key(a, "mu_off"), 0.0))),
              raw_on_(key(a, "raw_scale_on"), filled(a, 0.541324854612918)),      // softplus⁻¹(1)
              raw_off_(key(a, "raw_scale_off"), filled(a, -2.252168461044090)) {}  // softplus⁻¹(0.1)
        dist::normal<T, B> distribution(const var<T, B>& y, std::int64_t) const {
            const var<T, B> on = detail::expand_labels(y, expansion_, seg_), off = 1.0 - on;
            const var<T, B> loc = on * loc_on_.as_var() + off * loc_off_.as_var();
            const var<T, B> raw = on * raw_on_.as_var() + off * raw_off_.as_var();
            return dist::normal_from_softplus(loc, raw, 1e-3);
        }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>& f) {
            f(loc_on_);
            f(loc_off_);
            f(raw_on_);
            f(raw_off_);
        }

    private:
        static const segment& checked(const segment& s) {
            LATENT_CHECK(s.per_label, config_error, "learned_conditional_prior on \"", s.name,
                         "\": needs label_blocks (one block per label)");
            return s;
        }
        static std::string key(const prior_args& a, const char* what) { return "prior." + a.seg.name + "." + what; }
        static tensor<T, B> filled(const prior_args& a, double v) { return tensor<T, B>::full({1, a.seg.dim}, T(v)); }

        segment seg_;
        tensor<T, B> expansion_;
        parameter<T, B> loc_on_, loc_off_, raw_on_, raw_off_;
    };
};

/// One learned Normal per class of one categorical label (CCVAE with a multi-class label,
/// MODELS.md §5, seed 002 §D.6): p(segment | y = c) = N(m_c, diag s_c²), s_c = max(softplus(r_c),
/// 10⁻³), for y one-hot [n, K]; m and r are [K, dim] parameters in the model's group, read as y·m
/// and y·r. The locations start as draws of N(0, 1) ("prior.<segment>.init_spread" scales them), so
/// the classes start apart; the scales start at 1.
struct class_conditional_prior {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const prior_args& a)
            : loc_(key(a, "loc"), spread(a)), raw_(key(a, "raw_scale"), tensor<T, B>::full({a.labels, a.seg.dim}, T(0.541324854612918))) {
            LATENT_CHECK(!a.seg.per_label, config_error, "class_conditional_prior on \"", a.seg.name,
                         "\": one block for the whole categorical label (block<…>, not label_blocks<…>)");
        }
        dist::normal<T, B> distribution(const var<T, B>& y, std::int64_t) const {
            LATENT_CHECK(y.cols() == loc_.shape()[0], shape_error, "class_conditional_prior: labels ", y.shape(),
                         " should be one-hot over ", loc_.shape()[0], " classes");
            return dist::normal_from_softplus(matmul(y, loc_.as_var()), matmul(y, raw_.as_var()), 1e-3);
        }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>& f) {
            f(loc_);
            f(raw_);
        }

    private:
        static std::string key(const prior_args& a, const char* what) { return "prior." + a.seg.name + "." + what; }
        static tensor<T, B> spread(const prior_args& a) {
            tensor<T, B> t({a.labels, a.seg.dim});
            normal_(t, a.gen, 0.0, a.options.take(key(a, "init_spread"), 1.0));
            return t;
        }
        parameter<T, B> loc_, raw_;
    };
};

/// No prior: a deterministic block (the swap model's s) takes no KL term.
struct no_prior {
    template <scalar T, backend B>
    struct impl {
        explicit impl(const prior_args&) {}
        void for_each_parameter(const std::function<void(parameter<T, B>&)>&) {}
    };
};

/// What the model template needs of a prior policy (its impl for one T, B).
template <class P>
concept prior_policy = requires { typename P::template impl<float, cpu>; } &&
                       std::constructible_from<typename P::template impl<float, cpu>, const prior_args&>;

/// A prior that gives a distribution (every prior but no_prior).
template <class Impl, class T, class B>
concept distribution_prior = requires(const Impl& p, const var<T, B>& y) { p.distribution(y, std::int64_t{}); };

}  // namespace latent
