// latent/models/options.hpp: the run-time settings of a composed model.
//
// Sizes of dynamic blocks, the weight of every loss term (β's and λ's) and
// the numeric settings of policies (a prior's μ_on, a likelihood's σ) are set
// by name: `model_options{}.size("z", 8).weight("kl.z", 0.2).set("prior.w.mu_on", 3)`.
// Every name must be used by the model it builds: a misspelt weight is a
// config_error naming it, never a silently ignored setting.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "latent/core/error.hpp"

namespace latent {

/// How the reconstruction term is reduced over an example's features.
enum class reduction {
    sum,   // per-example summed log-likelihood (images; the ELBO's own scale)
    mean,  // element mean (the CSVAE swiss-roll setting: MSE over coordinates)
};

class model_options {
public:
    /// The size of a segment (required for `dynamic` blocks).
    model_options& size(const std::string& segment, std::int64_t n) {
        sizes_[segment] = n;
        return *this;
    }
    /// The weight of a loss term by its name ("recon", "kl.z", "entropy.z", "adversary.z", …).
    model_options& weight(const std::string& term, double w) {
        settings_["weight." + term] = w;
        return *this;
    }
    /// A policy's numeric setting ("prior.w.mu_on", "likelihood.sigma", …).
    model_options& set(const std::string& key, double value) {
        settings_[key] = value;
        return *this;
    }
    /// The reconstruction term's reduction over features (batch: always the mean).
    model_options& reconstruction(reduction r) {
        reduction_ = r;
        return *this;
    }
    /// Share one encoder trunk between every block's head (default), or give each block its own.
    model_options& shared_trunk(bool on) {
        shared_trunk_ = on;
        return *this;
    }

    const std::map<std::string, std::int64_t>& sizes() const { return sizes_; }
    reduction reconstruction() const { return reduction_; }
    bool shared_trunk() const { return shared_trunk_; }

    /// The value of `key`, or `fallback`; marks the key as used.
    double take(const std::string& key, double fallback) const {
        used_.insert(key);
        auto it = settings_.find(key);
        return it == settings_.end() ? fallback : it->second;
    }
    double weight_of(const std::string& term, double fallback = 1.0) const { return take("weight." + term, fallback); }

    /// Throws config_error naming the first setting no policy asked for.
    void check_all_used(const std::string& model) const {
        for (const auto& [key, value] : settings_)
            LATENT_CHECK(used_.count(key) != 0, config_error, model, ": no term or policy uses the setting \"", key,
                         "\" (misspelt?)");
    }

private:
    std::map<std::string, std::int64_t> sizes_;
    std::map<std::string, double> settings_;
    mutable std::set<std::string> used_;
    reduction reduction_ = reduction::sum;
    bool shared_trunk_ = true;
};

}  // namespace latent
