// latent/dist/bernoulli.hpp: independent Bernoulli variables given by their logits.
//
// The likelihood of binary-ish images (MODELS.md §1) and the per-label
// classifier q(y|z) of CCVAE and the CSVAE adversary (§4, §5). Held as logits,
// never as probabilities, so that log-probabilities stay finite for any logit.
#pragma once

#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/dist/detail/common.hpp"
#include "latent/tensor/random.hpp"

namespace latent::dist {

/// A batch of independent Bernoulli variables, P(x = 1) = sigmoid(logits), batch-first.
/// Not reparameterisable: sample() gives 0/1 values with no gradient.
/// ensures: per-row results are [n].
template <scalar T = float, backend B = cpu>
struct bernoulli {
    using value_type = T;
    using backend_type = B;
    using var_type = var<T, B>;

    var_type logits;

    /// log p(x) per element for x in [0, 1] (soft targets allowed):
    /// x log σ(l) + (1 - x) log(1 - σ(l)) = -BCE-with-logits(l, x), finite for any finite l.
    /// requires: x broadcasts with logits (shape_error naming both). Gradients reach logits and x.
    var_type log_prob_elements(const var_type& x) const {
        const shape s = detail::batch_shape("bernoulli.log_prob: x and logits", x.shape(), logits.shape());
        return -binary_cross_entropy_with_logits(detail::broadcast_to(logits, s), detail::broadcast_to(x, s));
    }
    /// log p(x) summed over the event dimensions: [n].
    var_type log_prob(const var_type& x) const { return detail::sum_event(log_prob_elements(x)); }

    /// Entropy per element: -p log p - (1 - p) log(1 - p) = softplus(l) - l·σ(l), p = σ(l),
    /// computed as BCE-with-logits(l, σ(l)), so stable for large |l|.
    var_type entropy_elements() const { return binary_cross_entropy_with_logits(logits, sigmoid(logits)); }
    /// Entropy summed over the event dimensions: [n] (CSVAE's adversary entropy, MODELS.md §4).
    var_type entropy() const { return detail::sum_event(entropy_elements()); }

    /// P(x = 1) = sigmoid(logits), which is also the mean.
    var_type probs() const { return sigmoid(logits); }
    /// The mean, sigmoid(logits).
    var_type mean() const { return probs(); }

    /// 0/1 draws, 1 with probability sigmoid(logits), as T; logits.numel() counters; no graph.
    tensor<T, B> sample(generator& gen) const {
        no_grad guard;
        return latent::bernoulli(probs().value(), gen);
    }
};

template <scalar T, backend B>
bernoulli(var<T, B>) -> bernoulli<T, B>;

}  // namespace latent::dist
