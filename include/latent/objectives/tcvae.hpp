// latent/objectives/tcvae.hpp: β-TCVAE's decomposed KL (MODELS.md §8; Chen et al. 2018, seed 004).
//
// The KL term of one Gaussian segment z, averaged over the data, splits into three parts:
//   E[KL(q(z|x) ‖ p(z))] = I_q(z; n) + KL(q(z) ‖ Π_d q(z_d)) + Σ_d KL(q(z_d) ‖ p(z_d))
//                          index-code MI   total correlation      dimension-wise KL
// and tc_objective weighs them apart. Per example i, at its one reparameterised sample z_i:
//   mi_i   = log q(z_i | x_i) − log q(z_i)
//   tc_i   = log q(z_i) − Σ_d log q(z_id)
//   dwkl_i = Σ_d log q(z_id) − log p(z_i)
//   loss   = w_recon·mean(recon) + α·mean(mi) + β·mean(tc) + γ·mean(dwkl) + Σ_other blocks w_kl·mean(KL)
// so that α = β = γ = 1 is the VAE's loss with its KL estimated from the one sample.
//
// The aggregate posterior q(z) = (1/N) Σ_n q(z | x_n) needs the whole dataset; it is estimated
// on the minibatch {x_1 … x_M} (drawn uniformly from the N examples) as
//   log q(z_i)    ≈ log Σ_j W_ij · q(z_i | x_j)         = logsumexp_j (log W_ij + Σ_d log q(z_id | x_j))
//   log q(z_id)   ≈ log Σ_j W_ij · q(z_id | x_j)        = logsumexp_j (log W_ij + log q(z_id | x_j))
// with the weights W of an estimator policy:
//   minibatch_weighted   (MWS)  W_ij = 1 / (N·M) for every j
//   minibatch_stratified (MSS)  W_ii = 1/N (the example that drew z_i), one other example, j = i + 1
//                               (mod M), gets (N − M + 1) / (N·(M − 1)), the remaining M − 2 get
//                               1 / (M − 1): its weights sum to 1 and, since the others are a
//                               uniform draw from the other N − 1 examples, E[Σ_j W_ij q(z | x_j)]
//                               = q(z) exactly (tests/objectives/tcvae.cpp checks it by enumeration).
// MSS is Chen et al.'s Appendix C.2 stratification with its one odd weight placed on the next
// example of the batch. Both need the dataset size N: the setting "tc.dataset_size", required.
// Weights: "recon", "tc.mi" (α), "tc.tc" (β), "tc.dwkl" (γ), each 1 by default, and "kl.<b>" for
// any other stochastic block. Labels are not read, so hidden ones are fine.
// Cost: two [M, M, D] tables of log-densities per batch (D the segment's size).
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/dist/normal.hpp"
#include "latent/objectives/objective.hpp"

namespace latent {

/// Minibatch-weighted sampling: log W_ij = −log(N·M) for a batch of M from N examples.
struct minibatch_weighted {
    static constexpr const char* name = "minibatch-weighted sampling";
    static constexpr std::int64_t min_batch = 1;
    /// log W as an [M, M] row-major table.
    static std::vector<double> log_weights(std::int64_t m, std::int64_t n) {
        return std::vector<double>(static_cast<std::size_t>(m * m),
                                   -std::log(static_cast<double>(n) * static_cast<double>(m)));
    }
};

/// Minibatch-stratified sampling (see the top of this file); a batch needs two examples at least.
struct minibatch_stratified {
    static constexpr const char* name = "minibatch-stratified sampling";
    static constexpr std::int64_t min_batch = 2;
    static std::vector<double> log_weights(std::int64_t m, std::int64_t n) {
        const double others = static_cast<double>(m - 1), size = static_cast<double>(n);
        std::vector<double> w(static_cast<std::size_t>(m * m), -std::log(others));
        for (std::int64_t i = 0; i < m; ++i) {
            w[static_cast<std::size_t>(i * m + i)] = -std::log(size);
            w[static_cast<std::size_t>(i * m + (i + 1) % m)] = std::log((size - others) / (size * others));
        }
        return w;
    }
};

/// What tc_objective needs of an estimator of log q(z) on a minibatch.
template <class E>
concept tc_estimator = requires(std::int64_t m, std::int64_t n) {
    { E::log_weights(m, n) } -> std::same_as<std::vector<double>>;
    { E::min_batch } -> std::convertible_to<std::int64_t>;
    { E::name } -> std::convertible_to<const char*>;
};

/// The three parts of the decomposed KL per example, [M, 1] each (differentiable).
template <scalar T, backend B>
struct kl_decomposition {
    var<T, B> mutual_information, total_correlation, dimension_wise_kl;
    var<T, B> log_qz, log_qz_product;  // log q(z_i) and Σ_d log q(z_id), the two estimates
};

namespace detail {
/// The d×d identity, a constant.
template <scalar T, backend B>
tensor<T, B> identity_matrix(std::int64_t d) {
    std::vector<T> v(static_cast<std::size_t>(d * d), T(0));
    for (std::int64_t i = 0; i < d; ++i) v[static_cast<std::size_t>(i * d + i)] = T(1);
    return tensor<T, B>::from_host({d, d}, v);
}
}  // namespace detail

/// β-TCVAE's parts for a batch: samples z [M, D] drawn from q = N(loc, scale) [M, D] of the same
/// batch, with log W [M, M] (an estimator's log_weights). Gradients reach z, loc and scale.
template <scalar T, backend B>
kl_decomposition<T, B> decompose_kl(const var<T, B>& z, const dist::normal<T, B>& q, const tensor<T, B>& log_w) {
    const std::int64_t m = z.rows(), d = z.cols();
    LATENT_CHECK(q.loc.shape() == z.shape() && q.scale.shape() == z.shape() && log_w.shape() == (shape{m, m}),
                 shape_error, "decompose_kl: samples ", z.shape(), ", posterior ", q.loc.shape(), " and ",
                 q.scale.shape(), ", log-weights ", log_w.shape(), " (should be [M, D], [M, D], [M, D], [M, M])");
    const var<T, B> lw(log_w);
    // (i, j, d): log q(z_id | x_j); summed over d and weighted over j, log q(z_i).
    const dist::normal<T, B> by_example{reshape(q.loc, {1, m, d}), reshape(q.scale, {1, m, d})};
    const var<T, B> joint = sum_rows(reshape(by_example.log_prob_elements(reshape(z, {m, 1, d})), {m * m, d}));
    const var<T, B> log_qz = logsumexp_rows(reshape(joint, {m, m}) + lw);
    // (i, d, j): the same densities with j last, so that each dimension's marginal is one row
    // reduction; loc and scale are transposed as I·locᵀ (linear's x·Wᵀ), which keeps their gradients.
    const var<T, B> eye(detail::identity_matrix<T, B>(d));
    const dist::normal<T, B> by_dim{reshape(linear(eye, q.loc), {1, d, m}), reshape(linear(eye, q.scale), {1, d, m})};
    const var<T, B> marginal =
        by_dim.log_prob_elements(reshape(z, {m, d, 1})) + reshape(lw, {m, 1, m});
    const var<T, B> log_qz_product = sum_rows(reshape(logsumexp_rows(reshape(marginal, {m * d, m})), {m, d}));

    const var<T, B> log_qz_x = sum_rows(q.log_prob_elements(z));
    const var<T, B> log_pz = sum_rows(square(z) * -0.5) - 0.91893853320467274178 * static_cast<double>(d);
    return {log_qz_x - log_qz, log_qz - log_qz_product, log_qz_product - log_pz, log_qz, log_qz_product};
}

template <fixed_string Segment = "z", tc_estimator Estimator = minibatch_weighted>
struct tc_objective {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = true;  // labels are never read
    static constexpr fixed_string segment = Segment;
    using estimator = Estimator;

    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const term_args<T, B>& a)
            : index_(a.layout.index_of(Segment.view())),
              dataset_size_(static_cast<std::int64_t>(a.options.take("tc.dataset_size", 0))),
              recon_weight_(a.options.weight_of("recon", 1.0)),
              mi_weight_(a.options.weight_of("tc.mi", 1.0)),
              tc_weight_(a.options.weight_of("tc.tc", 1.0)),
              dwkl_weight_(a.options.weight_of("tc.dwkl", 1.0)) {
            LATENT_CHECK(dataset_size_ >= 1, config_error, "tc_objective: the setting \"tc.dataset_size\" (N, the ",
                         "number of training examples that minibatches are drawn from) is required for ",
                         Estimator::name);
            for (std::size_t i = 0; i < a.layout.segments.size(); ++i)
                kl_weights_.push_back(i == index_ ? 0.0 : a.options.weight_of("kl." + a.layout.segments[i].name, 1.0));
        }

        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            const std::int64_t m = v.f.batch;
            LATENT_CHECK(m >= Estimator::min_batch && m <= dataset_size_, config_error, "tc_objective: a batch of ", m,
                         " from tc.dataset_size = ", dataset_size_, " examples; ", Estimator::name, " needs ",
                         Estimator::min_batch, " ≤ batch ≤ dataset size");
            const kl_decomposition<T, B> parts = decompose_kl(v.f.samples[index_], v.posterior(index_), log_weights(m));
            out.add_main("recon", mean(v.recon) * recon_weight_);
            out.add_main("tc.mi", mean(parts.mutual_information) * mi_weight_);
            out.add_main("tc.tc", mean(parts.total_correlation) * tc_weight_);
            out.add_main("tc.dwkl", mean(parts.dimension_wise_kl) * dwkl_weight_);
            for (std::size_t i = 0; i < kl_weights_.size(); ++i)
                if (i != index_ && v.has_kl(i))
                    out.add_main("kl." + v.f.layout->segments[i].name, mean(v.kl(i, v.f.y.as_float)) * kl_weights_[i]);
        }
        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}

    private:
        /// log W for a batch of m, made once per batch size.
        const tensor<T, B>& log_weights(std::int64_t m) {
            if (cached_batch_ != m) {
                const std::vector<double> w = Estimator::log_weights(m, dataset_size_);
                cached_ = tensor<T, B>::from_host({m, m}, std::vector<T>(w.begin(), w.end()));
                cached_batch_ = m;
            }
            return cached_;
        }

        std::size_t index_;
        std::int64_t dataset_size_;
        double recon_weight_, mi_weight_, tc_weight_, dwkl_weight_;
        std::vector<double> kl_weights_;
        tensor<T, B> cached_;
        std::int64_t cached_batch_ = -1;
    };
};

}  // namespace latent
