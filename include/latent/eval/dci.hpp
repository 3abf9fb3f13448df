// latent/eval/dci.hpp: DCI disentanglement and completeness against known generative factors
// (Eastwood & Williams, "A framework for the quantitative evaluation of disentangled
// representations", ICLR 2018).
//
// A regressor predicts each factor v_k from the whole code; R[j][k] ≥ 0, the importance of code
// coordinate j for factor k, says how much the prediction leans on z_j. Then
//   disentanglement of z_j:  D_j = 1 − H_K(P_j·),  P_jk = R_jk / Σ_k' R_jk'   (one factor per coordinate)
//   completeness of v_k:     C_k = 1 − H_d(P̃_·k), P̃_jk = R_jk / Σ_j' R_j'k  (one coordinate per factor)
// with H_b the entropy in base b (K factors, d coordinates), so each lies in [0, 1]. The overall
// scores weigh them by share of the total importance: D = Σ_j ρ_j D_j with ρ_j = Σ_k R_jk / Σ R,
// and C = Σ_k (Σ_j R_jk / Σ R) C_k (the same weighting as disentanglement_lib's completeness).
// A coordinate with no importance (unused) has D_j = 0 and weight 0, a factor nothing predicts
// C_k = 0 and weight 0; an all-zero matrix scores 0. With one factor (K = 1) the base-1 entropy
// is undefined and D_j is 1 for every used coordinate; with one coordinate (d = 1), likewise C_k.
//
// The regressor is the paper's first choice, the lasso: for each factor, the codes standardised
// per coordinate (mean 0, deviation 1; a constant coordinate becomes 0) and the factor's value
// (the label as a real number) standardised too, fitted by coordinate descent on
//   (1/2n) ‖y − b − Xw‖² + α ‖w‖₁,
// and R_jk = |w_j|. Standardising both sides makes α (default 0.01) a threshold on correlation:
// a coordinate whose correlation with the factor (given the others) stays below α gets exactly 0,
// so a weak chance correlation does not count. A constant factor is not fitted (column 0, C_k
// NaN) and does not count among the K of H_K. The fits' in-sample R² is reported beside the
// scores; it is not the paper's informativeness, which is a prediction error on held-out codes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// Options of the lasso fits: `lasso_options{}.alpha(0.01).max_iterations(1000)`.
class lasso_options {
public:
    /// The L1 weight α (default 0.01; 0 gives least squares).
    lasso_options& alpha(double a) {
        LATENT_CHECK(a >= 0 && std::isfinite(a), config_error, "lasso_options::alpha: ", a,
                     " must be finite and not negative");
        alpha_ = a;
        return *this;
    }
    /// Most sweeps of coordinate descent over all coefficients (default 1000).
    lasso_options& max_iterations(int n) {
        LATENT_CHECK(n >= 1, config_error, "lasso_options::max_iterations: ", n, " must be at least 1");
        max_iterations_ = n;
        return *this;
    }
    /// Descent stops when no coefficient moved the fit by more than this fraction of y's standard
    /// deviation in a sweep: max_j |Δw_j|·sd(x_j) ≤ tolerance·sd(y) (default 1e-8).
    lasso_options& tolerance(double t) {
        LATENT_CHECK(t > 0, config_error, "lasso_options::tolerance: ", t, " must be positive");
        tolerance_ = t;
        return *this;
    }

    double alpha() const { return alpha_; }
    int max_iterations() const { return max_iterations_; }
    double tolerance() const { return tolerance_; }

private:
    double alpha_ = 0.01;
    int max_iterations_ = 1000;
    double tolerance_ = 1e-8;
};

/// A lasso fit: y ≈ intercept + Σ_j coefficients[j]·x_j; `r_squared` its in-sample R²
/// (0 for a constant y), `iterations` the sweeps taken, `converged` whether the tolerance was met.
struct lasso_fit {
    std::vector<double> coefficients;
    double intercept = 0;
    double r_squared = 0;
    int iterations = 0;
    bool converged = false;
};

/// The lasso on x [n, d] and y [n] by cyclic coordinate descent on
/// (1/2n) ‖y − b − Xw‖² + α ‖w‖₁ (the intercept b is not penalised: x and y are centred).
/// requires: as many y as rows of x, n ≥ 1, d ≥ 1 (shape_error).
/// ensures:  a constant coordinate of x gets coefficient 0; every coefficient is 0 when
///           α ≥ max_j |cov(x_j, y)| (the smallest α that empties the model); with α = 0 and
///           independent coordinates, the least-squares fit.
inline lasso_fit lasso(const host_points& x, const std::vector<double>& y, const lasso_options& options = {}) {
    LATENT_CHECK(x.n == static_cast<std::int64_t>(y.size()), shape_error, "lasso: ", x.n, "×", x.d, " inputs but ",
                 y.size(), " targets");
    LATENT_CHECK(x.n >= 1 && x.d >= 1 && static_cast<std::int64_t>(x.values.size()) == x.n * x.d, shape_error,
                 "lasso: need at least one input of at least one coordinate, got ", x.n, "×", x.d);
    const auto n = static_cast<std::size_t>(x.n), d = static_cast<std::size_t>(x.d);
    const double N = static_cast<double>(n);
    // centred columns, column-major
    std::vector<double> col(n * d), x_mean(d, 0.0), col_sq(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) x_mean[j] += x.values[i * d + j];
    for (double& m : x_mean) m /= N;
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t i = 0; i < n; ++i) {
            const double c = x.values[i * d + j] - x_mean[j];
            col[j * n + i] = c;
            col_sq[j] += c * c;
        }
    for (double& s : col_sq) s /= N;  // the variance of x_j
    double y_mean = 0, y_sq = 0;
    for (const double v : y) y_mean += v;
    y_mean /= N;
    std::vector<double> residual(n);
    for (std::size_t i = 0; i < n; ++i) {
        residual[i] = y[i] - y_mean;
        y_sq += residual[i] * residual[i];
    }

    lasso_fit fit;
    fit.coefficients.assign(d, 0.0);
    fit.intercept = y_mean;
    if (!(y_sq > 0)) {
        fit.converged = true;
        return fit;
    }
    const double y_sd = std::sqrt(y_sq / N), alpha = options.alpha();
    auto& w = fit.coefficients;
    for (int sweep = 1; sweep <= options.max_iterations(); ++sweep) {
        double largest = 0;
        for (std::size_t j = 0; j < d; ++j) {
            if (!(col_sq[j] > 0)) continue;  // a constant coordinate keeps 0
            const double* c = col.data() + j * n;
            double rho = 0;  // (1/n) x_jᵀ (residual + x_j w_j)
            for (std::size_t i = 0; i < n; ++i) rho += c[i] * residual[i];
            rho = rho / N + col_sq[j] * w[j];
            const double shrunk = rho > alpha ? rho - alpha : rho < -alpha ? rho + alpha : 0.0;
            const double next = shrunk / col_sq[j], delta = next - w[j];
            if (delta == 0) continue;
            for (std::size_t i = 0; i < n; ++i) residual[i] -= c[i] * delta;
            w[j] = next;
            largest = std::max(largest, std::abs(delta) * std::sqrt(col_sq[j]));
        }
        fit.iterations = sweep;
        if (largest <= options.tolerance() * y_sd) {
            fit.converged = true;
            break;
        }
    }
    double rss = 0;
    for (const double r : residual) rss += r * r;
    fit.r_squared = 1 - rss / y_sq;
    for (std::size_t j = 0; j < d; ++j) fit.intercept -= x_mean[j] * w[j];
    return fit;
}

/// DCI scores with what they were computed from (see the top of this file): `importance[j][k]`
/// = R_jk; `code_disentanglement[j]` = D_j and `code_weight[j]` = ρ_j; `factor_completeness[k]`
/// = C_k (NaN for a constant factor) and `factor_weight[k]` its share of the importance;
/// `r_squared[k]` the in-sample R² of factor k's lasso fit (NaN for a constant factor; empty
/// when the report came from dci_from_importance).
struct dci_report {
    double disentanglement = 0;
    double completeness = 0;
    std::vector<double> code_disentanglement;
    std::vector<double> code_weight;
    std::vector<double> factor_completeness;
    std::vector<double> factor_weight;
    std::vector<double> r_squared;
    std::vector<std::vector<double>> importance;
};

namespace detail {
/// 1 − (entropy of the weights w / their sum, in base `base`); 1 for base 1, 0 for all-zero weights.
inline double one_minus_normalised_entropy(const std::vector<double>& w, std::size_t base) {
    double total = 0;
    for (const double v : w) total += v;
    if (!(total > 0)) return 0.0;
    if (base <= 1) return 1.0;
    double h = 0;
    for (const double v : w)
        if (v > 0) h -= v / total * std::log(v / total);
    return 1.0 - h / std::log(static_cast<double>(base));
}
}  // namespace detail

/// Disentanglement and completeness of an importance matrix R [d][K] (code coordinates × factors).
/// requires: d ≥ 1 rows of the same K ≥ 1 entries (shape_error), each finite and ≥ 0 (config_error).
/// ensures:  every D_j, C_k and both overall scores lie in [0, 1]; a matrix with one nonzero per row
///           has D = 1, one nonzero per column C = 1; permuting rows or columns permutes the parts
///           and leaves D and C unchanged.
inline dci_report dci_from_importance(const std::vector<std::vector<double>>& importance) {
    LATENT_CHECK(!importance.empty() && !importance[0].empty(), shape_error,
                 "dci_from_importance: the importance matrix is empty (", importance.size(), " rows)");
    const std::size_t d = importance.size(), K = importance[0].size();
    double total = 0;
    for (std::size_t j = 0; j < d; ++j) {
        LATENT_CHECK(importance[j].size() == K, shape_error, "dci_from_importance: row ", j, " has ",
                     importance[j].size(), " entries, row 0 has ", K);
        for (std::size_t k = 0; k < K; ++k) {
            const double v = importance[j][k];
            LATENT_CHECK(std::isfinite(v) && v >= 0, config_error, "dci_from_importance: importance[", j, "][", k,
                         "] = ", v, " must be finite and not negative");
            total += v;
        }
    }
    dci_report r;
    r.importance = importance;
    r.code_disentanglement.resize(d);
    r.code_weight.assign(d, 0.0);
    r.factor_completeness.resize(K);
    r.factor_weight.assign(K, 0.0);
    std::vector<double> column(d);
    for (std::size_t j = 0; j < d; ++j) {
        r.code_disentanglement[j] = detail::one_minus_normalised_entropy(importance[j], K);
        double s = 0;
        for (const double v : importance[j]) s += v;
        if (total > 0) r.code_weight[j] = s / total;
        r.disentanglement += r.code_weight[j] * r.code_disentanglement[j];
    }
    for (std::size_t k = 0; k < K; ++k) {
        double s = 0;
        for (std::size_t j = 0; j < d; ++j) s += column[j] = importance[j][k];
        r.factor_completeness[k] = detail::one_minus_normalised_entropy(column, d);
        if (total > 0) r.factor_weight[k] = s / total;
        r.completeness += r.factor_weight[k] * r.factor_completeness[k];
    }
    return r;
}

/// DCI disentanglement and completeness of codes [n, d] (usually posterior means) against
/// discrete factors [n, K], with lasso importances (see the top of this file).
/// requires: as many factor rows as codes, n ≥ 2, d ≥ 1, K ≥ 1 (shape_error); at least one
///           non-constant factor (config_error: nothing to predict otherwise).
/// ensures:  importance [d][K] with a zero column for each constant factor; the scores are
///           dci_from_importance's on the non-constant factors' columns; the same inputs give the
///           same report (no randomness).
inline dci_report dci(const host_points& codes, const host_labels& factors, const lasso_options& options = {}) {
    LATENT_CHECK(codes.n == factors.n, shape_error, "dci: ", codes.n, " codes but ", factors.n, " rows of factors");
    LATENT_CHECK(codes.n >= 2 && codes.d >= 1 &&
                     static_cast<std::int64_t>(codes.values.size()) == codes.n * codes.d,
                 shape_error, "dci: need at least 2 codes of at least 1 coordinate, got ", codes.n, "×", codes.d);
    LATENT_CHECK(factors.width >= 1 && static_cast<std::int64_t>(factors.values.size()) == factors.n * factors.width,
                 shape_error, "dci: factors ", factors.n, "×", factors.width, " must have at least one factor per row");
    const auto n = static_cast<std::size_t>(codes.n), d = static_cast<std::size_t>(codes.d);
    const auto K = static_cast<std::size_t>(factors.width);
    const double N = static_cast<double>(n);

    auto standardise = [N](std::vector<double>& v, std::size_t stride, std::size_t offset, std::size_t count) {
        double mean = 0, sq = 0;
        for (std::size_t i = 0; i < count; ++i) mean += v[i * stride + offset];
        mean /= N;
        for (std::size_t i = 0; i < count; ++i) sq += (v[i * stride + offset] - mean) * (v[i * stride + offset] - mean);
        const double sd = std::sqrt(sq / N);
        for (std::size_t i = 0; i < count; ++i)
            v[i * stride + offset] = sd > 0 ? (v[i * stride + offset] - mean) / sd : 0.0;
        return sd > 0;
    };
    host_points z = codes;
    for (std::size_t j = 0; j < d; ++j) standardise(z.values, d, j, n);

    std::vector<std::vector<double>> full(d, std::vector<double>(K, 0.0)), used_columns(d);
    std::vector<std::size_t> used;
    std::vector<double> r_squared(K, std::numeric_limits<double>::quiet_NaN()), y(n);
    for (std::size_t k = 0; k < K; ++k) {
        for (std::size_t i = 0; i < n; ++i)
            y[i] = factors.at(static_cast<std::int64_t>(i), static_cast<std::int64_t>(k));
        if (!standardise(y, 1, 0, n)) continue;  // constant: nothing to predict
        const lasso_fit fit = lasso(z, y, options);
        r_squared[k] = fit.r_squared;
        for (std::size_t j = 0; j < d; ++j) {
            full[j][k] = std::abs(fit.coefficients[j]);
            used_columns[j].push_back(full[j][k]);
        }
        used.push_back(k);
    }
    LATENT_CHECK(!used.empty(), config_error, "dci: every one of the ", K,
                 " factors is constant, so there is nothing to predict");

    const dci_report part = dci_from_importance(used_columns);
    dci_report r;
    r.disentanglement = part.disentanglement;
    r.completeness = part.completeness;
    r.code_disentanglement = part.code_disentanglement;
    r.code_weight = part.code_weight;
    r.factor_completeness.assign(K, std::numeric_limits<double>::quiet_NaN());
    r.factor_weight.assign(K, 0.0);
    for (std::size_t u = 0; u < used.size(); ++u) {
        r.factor_completeness[used[u]] = part.factor_completeness[u];
        r.factor_weight[used[u]] = part.factor_weight[u];
    }
    r.r_squared = std::move(r_squared);
    r.importance = std::move(full);
    return r;
}

}  // namespace latent::eval
