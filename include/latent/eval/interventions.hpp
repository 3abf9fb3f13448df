// latent/eval/interventions.hpp: seed 002's measures of interventions and characteristic swaps.
//
// Both judge images with a pre-trained multi-label classifier, given here as its log
// probabilities log p(y_j = 1 | image) [n, L] (the caller runs the classifier):
//  - single-intervention confusion matrix (seed 002 §D.1): C[i][j] = mean over inputs of
//    |log p_j(image with label i intervened on) − log p_j(image as reconstructed)|. An ideal
//    model changes only the chosen label: C diagonal. Its condition number σ_max/σ_min (2-norm)
//    is reported beside it;
//  - characteristic-swap log-probability difference (seed 002 Table 2): the mean over swaps of
//    |log p(y_a | swap(a → b)) − log p(y_a | a)|, log p(y | ·) = Σ_j log p(y_j | ·) under the
//    classifier: the characteristics of a carried onto b should keep a's labels as likely.
#pragma once

#include <Eigen/SVD>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "latent/core/error.hpp"

namespace latent::eval {

/// A row-major matrix of doubles.
struct matrix {
    std::int64_t rows = 0, cols = 0;
    std::vector<double> values;
    double operator()(std::int64_t r, std::int64_t c) const { return values[static_cast<std::size_t>(r * cols + c)]; }
};

/// The single-intervention confusion matrix [L, L] from log p(y_j = 1 | ·) of the reconstructions
/// (`base`, n × L row-major) and of the images with label i intervened on (`intervened[i]`, each
/// n × L). requires: L ≥ 1, n ≥ 1, every block n × L (config_error otherwise).
inline matrix intervention_confusion(const std::vector<double>& base, const std::vector<std::vector<double>>& intervened,
                                     std::int64_t n, std::int64_t labels) {
    LATENT_CHECK(n >= 1 && labels >= 1 && static_cast<std::int64_t>(intervened.size()) == labels &&
                     static_cast<std::int64_t>(base.size()) == n * labels,
                 config_error, "intervention_confusion: ", intervened.size(), " interventions and ", base.size(),
                 " base values for ", n, " inputs and ", labels, " labels");
    matrix c{labels, labels, std::vector<double>(static_cast<std::size_t>(labels * labels), 0.0)};
    for (std::int64_t i = 0; i < labels; ++i) {
        const auto& moved = intervened[static_cast<std::size_t>(i)];
        LATENT_CHECK(static_cast<std::int64_t>(moved.size()) == n * labels, config_error,
                     "intervention_confusion: intervention ", i, " has ", moved.size(), " values, not ", n * labels);
        for (std::int64_t k = 0; k < n; ++k)
            for (std::int64_t j = 0; j < labels; ++j) {
                const auto at = static_cast<std::size_t>(k * labels + j);
                c.values[static_cast<std::size_t>(i * labels + j)] += std::abs(moved[at] - base[at]) / double(n);
            }
    }
    return c;
}

/// σ_max / σ_min of a square matrix (+inf when it is singular).
inline double condition_number(const matrix& m) {
    LATENT_CHECK(m.rows == m.cols && m.rows >= 1, config_error, "condition_number: a ", m.rows, "×", m.cols,
                 " matrix is not square");
    Eigen::MatrixXd a(m.rows, m.cols);
    for (std::int64_t r = 0; r < m.rows; ++r)
        for (std::int64_t c = 0; c < m.cols; ++c) a(r, c) = m(r, c);
    const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(a).singularValues();
    const double smallest = s(s.size() - 1);
    return smallest > 0 ? s(0) / smallest : std::numeric_limits<double>::infinity();
}

/// The mean over n swaps of |log p(y_a | swapped) − log p(y_a | original)|, from the
/// classifier's log p(y_j = 1 | ·) of the originals a and the swapped images (n × L each) and
/// a's labels (n × L, 0/1). log p(y_j = 0 | ·) = log(1 − p(y_j = 1 | ·)).
inline double swap_logprob_difference(const std::vector<double>& original, const std::vector<double>& swapped,
                                      const std::vector<int>& labels_of_a, std::int64_t n, std::int64_t labels) {
    const auto size = static_cast<std::size_t>(n * labels);
    LATENT_CHECK(n >= 1 && original.size() == size && swapped.size() == size && labels_of_a.size() == size,
                 config_error, "swap_logprob_difference: ", original.size(), ", ", swapped.size(), " and ",
                 labels_of_a.size(), " values for ", n, " swaps of ", labels, " labels");
    auto log_p = [&](const std::vector<double>& on, std::int64_t k) {
        double s = 0;
        for (std::int64_t j = 0; j < labels; ++j) {
            const auto at = static_cast<std::size_t>(k * labels + j);
            s += labels_of_a[at] != 0 ? on[at] : std::log1p(-std::exp(on[at]));
        }
        return s;
    };
    double total = 0;
    for (std::int64_t k = 0; k < n; ++k) total += std::abs(log_p(swapped, k) - log_p(original, k));
    return total / double(n);
}

}  // namespace latent::eval
