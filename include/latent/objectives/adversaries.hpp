// latent/objectives/adversaries.hpp: mutual-information terms that keep labels out of a segment.
//
// Each adversary is an MLP from one segment to label logits, in its own
// parameter group "adversary.<segment>", trained on the segment detached
// (its loss reaches only its own parameters). The encoder side differs:
//  - entropy_adversary (CSVAE, MODELS.md §4): the encoder maximises the
//    adversary's predictive entropy, −β4·H(q_δ(y|z)) in M1; adversary loss
//    M2 = β5·CE(q_δ(z̄), y). Bounded: the best the encoder can do is make the
//    adversary uncertain.
//  - cross_entropy_adversary (CondVAE-info, MODELS.md §3): the encoder adds
//    −λ·CE(r_ψ(z), y); adversary loss CE(r_ψ(z̄), y). The paper's unbounded choice.
// Binary labels use Bernoulli entropies / BCE summed over labels; one
// categorical label uses the categorical entropy / CE.
// Weights: "entropy.<seg>" (β4) or "ce.<seg>" (λ), and "adversary.<seg>" (β5).
#pragma once

#include <string>

#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/dist/bernoulli.hpp"
#include "latent/dist/categorical.hpp"
#include "latent/objectives/term.hpp"

namespace latent {

namespace detail {
/// The adversary network shared by both terms, and its loss on the detached segment.
template <scalar T, backend B>
class label_adversary {
public:
    label_adversary(const term_args<T, B>& a, const std::string& segment)
        : segment_(segment),
          categorical_(a.categorical),
          group_("adversary." + segment),
          weight_(a.options.weight_of("adversary." + segment, 1.0)) {
        net_ = make_network(a.nets, {net_role::adversary, group_, {a.layout[segment].dim}, {a.label_outputs}}, a.gen,
                            group_, "adversary");
    }

    var<T, B> logits(const var<T, B>& z) { return (*net_)(z); }

    /// Per example: −log q(y | z) under the adversary's logits.
    var<T, B> nll(const var<T, B>& logits, const label_batch<T, B>& y) const {
        if (categorical_) return cross_entropy_with_logits(logits, y.classes);
        return sum_rows(binary_cross_entropy_with_logits(logits, y.as_float));
    }
    /// Per example: the entropy of the adversary's prediction.
    var<T, B> entropy(const var<T, B>& logits) const {
        if (categorical_) return dist::categorical<T, B>{logits}.entropy();
        return dist::bernoulli<T, B>{logits}.entropy();
    }

    /// Adds the adversary's own loss (on the detached segment) to its group.
    void add_own_loss(const forward_pass<T, B>& f, step_losses<T, B>& out) {
        const var<T, B> own = mean(nll(logits(detach(f.sample(segment_))), f.y)) * weight_;
        out.add_group(group_, group_, own);
    }

    const std::string& segment() const { return segment_; }
    nn::module<T, B>& net() { return *net_; }

private:
    std::string segment_;
    bool categorical_;
    std::string group_;
    double weight_;
    std::unique_ptr<nn::module<T, B>> net_;
};
}  // namespace detail

/// An adversary on `Segment` whose per-example `Objective` the encoder maximises: the main loss
/// gains −weight·mean(Objective) under the name "<Objective::name>.<Segment>", and the adversary
/// trains on its own cross-entropy (adversary.<Segment>).
template <fixed_string Segment, class Objective>
struct label_adversary_term {
    static constexpr fixed_string segment = Segment;
    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const term_args<T, B>& a)
            : adv_(a, Segment.str()),
              name_(std::string(Objective::name) + "." + Segment.str()),
              weight_(a.options.weight_of(name_, 1.0)) {}
        void add(const forward_pass<T, B>& f, step_losses<T, B>& out) {
            // This piece's gradient reaches the adversary too; the trainer clears the adversary's
            // gradients before its own step, so only the encoder (and decoder) learn from it.
            if (f.wanted != loss_set::adversaries) {
                const var<T, B> logits = adv_.logits(f.sample(Segment.view()));
                out.add_main(name_, mean(Objective::per_example(adv_, logits, f.y)) * -weight_);
            }
            if (f.wanted != loss_set::model) adv_.add_own_loss(f, out);
        }
        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) { fn(adv_.net()); }
        detail::label_adversary<T, B>& adversary() { return adv_; }

    private:
        detail::label_adversary<T, B> adv_;
        std::string name_;
        double weight_;
    };
};

/// H(q_δ(y|z)): CSVAE's bounded objective.
struct maximise_entropy {
    static constexpr const char* name = "entropy";
    template <scalar T, backend B>
    static var<T, B> per_example(const detail::label_adversary<T, B>& adv, const var<T, B>& logits,
                                 const label_batch<T, B>&) {
        return adv.entropy(logits);
    }
};
/// CE(r_ψ(z), y): CondVAE-info's unbounded objective.
struct maximise_cross_entropy {
    static constexpr const char* name = "ce";
    template <scalar T, backend B>
    static var<T, B> per_example(const detail::label_adversary<T, B>& adv, const var<T, B>& logits,
                                 const label_batch<T, B>& y) {
        return adv.nll(logits, y);
    }
};

// The named terms are classes, not alias templates: nvcc 13 generates broken host code for an alias
// template that forwards a string template argument.

/// CSVAE's adversary on `Segment`: the encoder maximises its predictive entropy (weight "entropy.<seg>").
template <fixed_string Segment>
struct entropy_adversary : label_adversary_term<Segment, maximise_entropy> {};

/// CondVAE-info's adversary on `Segment`: the encoder maximises its cross-entropy (weight "ce.<seg>").
template <fixed_string Segment>
struct cross_entropy_adversary : label_adversary_term<Segment, maximise_cross_entropy> {};

}  // namespace latent
