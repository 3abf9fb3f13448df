// latent/eval/factorvae_score.hpp: the FactorVAE disentanglement score against known generative
// factors (Kim & Mnih, "Disentangling by Factorising", ICML 2018, §4).
//
// The idea: if one latent coordinate alone carries factor k, then among examples that share a
// value of factor k that coordinate barely moves, and it is the one that moves least. Each
// "vote" picks a factor k, a batch of examples sharing one value of k, and the coordinate whose
// variance over the batch is smallest (after dividing every coordinate by its standard deviation
// over the whole set, so that scale does not matter); the vote is the pair (that coordinate, k).
// A majority-vote classifier (each coordinate predicts the factor it was voted for most) is
// trained on `train_votes` votes and the score is its accuracy on `eval_votes` fresh votes:
// 1 when every factor has a coordinate of its own, about 1/K (K factors) when the code ignores
// the factors.
//
// Choices where the paper leaves room, each fixed here:
// - Codes are the posterior means. Votes are drawn from the given set, not from a generator of
//   the data: the fixed value is the factor-k value of an example chosen uniformly (so values
//   are weighted by their frequency), and the batch is drawn without replacement among the
//   examples holding that value (a group smaller than `batch` is taken whole). A value held by
//   one example only is never fixed (one example has no variance); a factor that is constant,
//   or whose values are all distinct, is never picked.
// - Collapsed coordinates: Kim & Mnih prune latents whose KL has collapsed to 0 before voting.
//   Without the KL at hand, a coordinate is collapsed here when its standard deviation over the
//   set is below `collapse_threshold` (default 0.01) times the largest coordinate's: such a
//   coordinate takes no vote, and it can never win one by dividing noise by noise. Relative,
//   so the choice does not depend on the codes' scale; 0 keeps every non-constant coordinate.
// - Ties (equal variances, equal vote counts) go to the lowest index. A coordinate that got no
//   training vote predicts no factor, so an evaluation vote for it is a miss.
// - Defaults: batch 64, 5000 training and 2500 evaluation votes (disentanglement_lib uses 64,
//   10000 and 5000). The accuracy of 2500 votes has a standard error of at most 0.01.
//
// Everything is a function of the data and the seed (Philox draws, no floating-point sums whose
// order depends on threads).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// Options of the FactorVAE score: `factorvae_options{}.batch(64).train_votes(5000).seed(1)`.
class factorvae_options {
public:
    /// Examples per vote (default 64); at least 2, since a vote compares variances.
    factorvae_options& batch(std::int64_t n) {
        LATENT_CHECK(n >= 2, config_error, "factorvae_options::batch: ", n, " must be at least 2");
        batch_ = n;
        return *this;
    }
    /// Votes that train the majority-vote classifier (default 5000).
    factorvae_options& train_votes(std::int64_t n) {
        LATENT_CHECK(n >= 1, config_error, "factorvae_options::train_votes: ", n, " must be at least 1");
        train_votes_ = n;
        return *this;
    }
    /// Fresh votes the score is the classifier's accuracy on (default 2500).
    factorvae_options& eval_votes(std::int64_t n) {
        LATENT_CHECK(n >= 1, config_error, "factorvae_options::eval_votes: ", n, " must be at least 1");
        eval_votes_ = n;
        return *this;
    }
    /// Seed of the votes' draws (default 0).
    factorvae_options& seed(std::uint64_t s) {
        seed_ = s;
        return *this;
    }
    /// A coordinate whose standard deviation is below this fraction of the largest coordinate's
    /// is collapsed and takes no vote (default 0.01; 0 keeps every non-constant coordinate).
    factorvae_options& collapse_threshold(double t) {
        LATENT_CHECK(t >= 0 && t < 1, config_error, "factorvae_options::collapse_threshold: ", t,
                     " must lie in [0, 1)");
        collapse_threshold_ = t;
        return *this;
    }

    std::int64_t batch() const { return batch_; }
    std::int64_t train_votes() const { return train_votes_; }
    std::int64_t eval_votes() const { return eval_votes_; }
    std::uint64_t seed() const { return seed_; }
    double collapse_threshold() const { return collapse_threshold_; }

private:
    std::int64_t batch_ = 64;
    std::int64_t train_votes_ = 5000;
    std::int64_t eval_votes_ = 2500;
    std::uint64_t seed_ = 0;
    double collapse_threshold_ = 0.01;
};

/// One vote: the coordinate of least normalised variance in a batch where `factor` was fixed.
struct factorvae_vote {
    std::int64_t dim = 0;
    std::int64_t factor = 0;
};

/// The FactorVAE score with what it was computed from: `score` the classifier's accuracy on the
/// evaluation votes, `train_accuracy` its accuracy on the training votes, `votes[j][k]` how many
/// training votes went to (coordinate j, factor k), `classifier[j]` the factor coordinate j
/// predicts (−1: no training vote), `active[j]` false for a collapsed coordinate, `scale[j]` the
/// coordinate's standard deviation over the set.
struct factorvae_report {
    double score = 0;
    double train_accuracy = 0;
    std::vector<std::vector<std::int64_t>> votes;
    std::vector<std::int64_t> classifier;
    std::vector<bool> active;
    std::vector<double> scale;
};

/// The vote matrix [d][K] of `votes`: entry (j, k) counts the votes for coordinate j and factor k.
/// requires: every vote's dim in [0, d) and factor in [0, K), d ≥ 1, K ≥ 1 (shape_error).
inline std::vector<std::vector<std::int64_t>> factorvae_vote_matrix(const std::vector<factorvae_vote>& votes,
                                                                    std::int64_t d, std::int64_t K) {
    LATENT_CHECK(d >= 1 && K >= 1, shape_error, "factorvae_vote_matrix: a ", d, "×", K, " vote matrix is empty");
    std::vector<std::vector<std::int64_t>> m(static_cast<std::size_t>(d), std::vector<std::int64_t>(
                                                                               static_cast<std::size_t>(K), 0));
    for (const factorvae_vote& v : votes) {
        LATENT_CHECK(v.dim >= 0 && v.dim < d && v.factor >= 0 && v.factor < K, shape_error,
                     "factorvae_vote_matrix: vote (", v.dim, ", ", v.factor, ") outside a ", d, "×", K, " matrix");
        ++m[static_cast<std::size_t>(v.dim)][static_cast<std::size_t>(v.factor)];
    }
    return m;
}

/// The majority-vote classifier of a vote matrix [d][K]: for each coordinate j the factor with
/// the most votes (the lowest such factor on ties), −1 where j has no vote.
inline std::vector<std::int64_t> majority_vote_classifier(const std::vector<std::vector<std::int64_t>>& votes) {
    std::vector<std::int64_t> out(votes.size(), -1);
    for (std::size_t j = 0; j < votes.size(); ++j) {
        std::int64_t best = 0;
        for (std::size_t k = 0; k < votes[j].size(); ++k)
            if (votes[j][k] > best) {
                best = votes[j][k];
                out[j] = static_cast<std::int64_t>(k);
            }
    }
    return out;
}

/// Accuracy of the majority-vote classifier of `train` (a vote matrix [d][K]) on `votes`: the
/// fraction of votes whose factor is the one their coordinate predicts (0 for no votes).
/// requires: every evaluation vote's dim in [0, d) (shape_error).
inline double majority_vote_accuracy(const std::vector<std::vector<std::int64_t>>& train,
                                     const std::vector<factorvae_vote>& votes) {
    const std::vector<std::int64_t> predict = majority_vote_classifier(train);
    std::int64_t right = 0;
    for (const factorvae_vote& v : votes) {
        LATENT_CHECK(v.dim >= 0 && v.dim < static_cast<std::int64_t>(train.size()), shape_error,
                     "majority_vote_accuracy: vote for coordinate ", v.dim, " of a classifier over ", train.size());
        right += predict[static_cast<std::size_t>(v.dim)] == v.factor;
    }
    return votes.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(votes.size());
}

namespace detail {
/// The examples of one factor grouped by value, for drawing votes: `groups[g]` the examples
/// holding one value, `pick[i]` the group of the i-th example whose value is shared.
struct factor_groups {
    std::vector<std::vector<std::int64_t>> groups;
    std::vector<std::size_t> pick;
};

/// A uniform index in [0, m) from a uniform double in [0, 1).
inline std::size_t uniform_index(double u, std::size_t m) {
    return std::min(m - 1, static_cast<std::size_t>(u * static_cast<double>(m)));
}
}  // namespace detail

/// FactorVAE score of codes [n, d] (posterior means) against discrete factors [n, K] (see the
/// top of this file).
/// requires: as many factor rows as codes, n ≥ 2, d ≥ 1, K ≥ 1 (shape_error); some factor
///           with a value shared by two examples and not by all (config_error).
/// ensures:  score and train_accuracy in [0, 1], the vote matrix sums to options.train_votes();
///           the same inputs and options give the same report. If every coordinate is constant
///           there is nothing to vote for: score 0, no votes, every coordinate inactive.
inline factorvae_report factorvae_score(const host_points& codes, const host_labels& factors,
                                        const factorvae_options& options = {}) {
    LATENT_CHECK(codes.n == factors.n, shape_error, "factorvae_score: ", codes.n, " codes but ", factors.n,
                 " rows of factors");
    LATENT_CHECK(codes.n >= 2 && codes.d >= 1 &&
                     static_cast<std::int64_t>(codes.values.size()) == codes.n * codes.d,
                 shape_error, "factorvae_score: need at least 2 codes of at least 1 coordinate, got ", codes.n,
                 "×", codes.d);
    LATENT_CHECK(factors.width >= 1 && static_cast<std::int64_t>(factors.values.size()) == factors.n * factors.width,
                 shape_error, "factorvae_score: factors ", factors.n, "×", factors.width,
                 " must have at least one factor per row");
    const std::int64_t n = codes.n, d = codes.d, K = factors.width;
    const auto D = static_cast<std::size_t>(d);

    // the examples of each usable factor, grouped by value
    std::vector<detail::factor_groups> by_factor(static_cast<std::size_t>(K));
    std::vector<std::int64_t> usable;
    for (std::int64_t k = 0; k < K; ++k) {
        std::map<std::int32_t, std::vector<std::int64_t>> values;
        for (std::int64_t i = 0; i < n; ++i) values[factors.at(i, k)].push_back(i);
        if (values.size() < 2) continue;  // constant
        auto& f = by_factor[static_cast<std::size_t>(k)];
        for (auto& [value, members] : values) {
            if (members.size() < 2) continue;
            f.pick.insert(f.pick.end(), members.size(), f.groups.size());
            f.groups.push_back(std::move(members));
        }
        if (!f.groups.empty()) usable.push_back(k);
    }
    LATENT_CHECK(!usable.empty(), config_error, "factorvae_score: none of the ", K,
                 " factors has a value shared by two examples and not by all, so no vote can be drawn");

    factorvae_report r;
    r.votes.assign(D, std::vector<std::int64_t>(static_cast<std::size_t>(K), 0));
    r.classifier.assign(D, -1);
    r.active.assign(D, false);
    r.scale.assign(D, 0.0);

    // each coordinate's standard deviation over the set; the collapsed ones take no vote
    std::vector<double> mean(D, 0.0), variance(D, 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) mean[j] += codes.row(i)[j];
    for (double& m : mean) m /= static_cast<double>(n);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) variance[j] += (codes.row(i)[j] - mean[j]) * (codes.row(i)[j] - mean[j]);
    double largest = 0;
    for (std::size_t j = 0; j < D; ++j) {
        variance[j] /= static_cast<double>(n);
        r.scale[j] = std::sqrt(variance[j]);
        largest = std::max(largest, r.scale[j]);
    }
    if (!(largest > 0)) return r;
    std::vector<std::size_t> active;
    for (std::size_t j = 0; j < D; ++j)
        if (r.scale[j] > 0 && r.scale[j] >= options.collapse_threshold() * largest) {
            r.active[j] = true;
            active.push_back(j);
        }

    generator gen(options.seed());
    const std::int64_t B = options.batch();
    std::vector<double> sum(D), sq(D);
    auto vote = [&]() {
        const philox_range u = gen.take(static_cast<std::uint64_t>(2 + B));
        const std::int64_t k = usable[detail::uniform_index(u.uniform(0), usable.size())];
        auto& f = by_factor[static_cast<std::size_t>(k)];
        auto& group = f.groups[f.pick[detail::uniform_index(u.uniform(1), f.pick.size())]];
        // a partial Fisher–Yates shuffle of the group in place: its first m entries are the batch
        const std::size_t m = std::min(group.size(), static_cast<std::size_t>(B));
        for (std::size_t t = 0; t < m; ++t)
            std::swap(group[t], group[t + detail::uniform_index(u.uniform(2 + t), group.size() - t)]);
        std::fill(sum.begin(), sum.end(), 0.0);
        std::fill(sq.begin(), sq.end(), 0.0);
        for (std::size_t t = 0; t < m; ++t) {
            const double* z = codes.row(group[t]);
            for (const std::size_t j : active) sum[j] += z[j];
        }
        for (std::size_t t = 0; t < m; ++t) {
            const double* z = codes.row(group[t]);
            for (const std::size_t j : active) {
                const double c = z[j] - sum[j] / static_cast<double>(m);
                sq[j] += c * c;
            }
        }
        std::size_t best = active[0];
        for (const std::size_t j : active)  // variance of the normalised coordinate: sq / m / variance[j]
            if (sq[j] / variance[j] < sq[best] / variance[best]) best = j;
        return factorvae_vote{static_cast<std::int64_t>(best), k};
    };

    std::vector<factorvae_vote> train, fresh;
    train.reserve(static_cast<std::size_t>(options.train_votes()));
    fresh.reserve(static_cast<std::size_t>(options.eval_votes()));
    for (std::int64_t v = 0; v < options.train_votes(); ++v) train.push_back(vote());
    for (std::int64_t v = 0; v < options.eval_votes(); ++v) fresh.push_back(vote());
    r.votes = factorvae_vote_matrix(train, d, K);
    r.classifier = majority_vote_classifier(r.votes);
    r.train_accuracy = majority_vote_accuracy(r.votes, train);
    r.score = majority_vote_accuracy(r.votes, fresh);
    return r;
}

}  // namespace latent::eval
