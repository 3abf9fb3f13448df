// latent/dist/categorical.hpp: one categorical variable per row, given by its logits.
//
// CCVAE's classifier q(y|z_c) for a single multi-class label, the CSVAE
// adversary's prediction for one multi-class label (its entropy is the term
// the encoder maximises, MODELS.md §4) and M2's q(y|x).
#pragma once

#include <cstdint>

#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/dist/detail/common.hpp"
#include "latent/tensor/random.hpp"

namespace latent::dist {

/// A batch of categorical distributions over K classes, P(c) = softmax(logits)_c, logits [n, K].
/// Not reparameterisable: sample() gives class indices with no gradient.
/// ensures: per-row results are [n]; every row's probabilities sum to 1.
template <scalar T = float, backend B = cpu>
struct categorical {
    using value_type = T;
    using backend_type = B;
    using var_type = var<T, B>;

    var_type logits;

    /// log P(labels[r]) per row: [n] (= -cross-entropy). requires: one label per row of
    /// logits, each in [0, K) (shape_error / config_error naming the label). Gradients reach logits.
    var_type log_prob(const tensor<std::int32_t, B>& labels) const {
        check_logits("categorical.log_prob");
        return -detail::sum_event(cross_entropy_with_logits(logits, labels));
    }
    /// Σ_c x[r, c]·log P(c) per row, [n]: the log-probability of a one-hot x, and its
    /// expectation under x for probabilities x. requires: x of the shape of logits
    /// (shape_error). Gradients reach logits and x.
    var_type log_prob(const var_type& x) const {
        check_logits("categorical.log_prob");
        return -detail::sum_event(cross_entropy_with_logits(logits, x));
    }

    /// log P(c) for every class: log softmax of each row, [n, K].
    var_type log_probs() const {
        check_logits("categorical.log_probs");
        return log_softmax_rows(logits);
    }
    /// P(c) for every class: softmax of each row, [n, K].
    var_type probs() const {
        check_logits("categorical.probs");
        return softmax_rows(logits);
    }
    /// The mean of the one-hot code: probs(), [n, K].
    var_type mean() const { return probs(); }

    /// H = -Σ_c P(c) log P(c) per row: [n], computed as the cross-entropy of the logits
    /// against their own softmax (stable for large logits). Gradients reach logits.
    var_type entropy() const {
        check_logits("categorical.entropy");
        return detail::sum_event(cross_entropy_with_logits(logits, softmax_rows(logits)));
    }

    /// One class per row, [n], by inverse CDF of the row's probabilities on one uniform
    /// per row (latent::categorical, which runs on either backend); n counters; no graph.
    tensor<std::int32_t, B> sample(generator& gen) const {
        check_logits("categorical.sample");
        no_grad guard;
        return latent::categorical(softmax_rows(logits).value(), gen);
    }

private:
    void check_logits(const char* op) const {
        LATENT_CHECK(logits.shape().rank() == 2 && logits.cols() > 0, shape_error, op, ": logits ", logits.shape(),
                     " must be [n, K] with K >= 1");
    }
};

template <scalar T, backend B>
categorical(var<T, B>) -> categorical<T, B>;

}  // namespace latent::dist
