// latent/eval/pca.hpp: principal directions of a point set, the exploration directions of a
// CSVAE label subspace of more than two dimensions (seed 000 §4.3: walk the target label's
// encoded w along its principal components).
#pragma once

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// The principal axes of n points in d dimensions: their mean, the eigenvectors of their
/// sample covariance (1/(n − 1)) Σ (x − mean)(x − mean)ᵀ as unit `directions`, and the
/// `variances` along them (the eigenvalues), in decreasing order of variance. Each direction's
/// sign is fixed so that its largest-magnitude coordinate is positive (eigenvectors are
/// otherwise defined only up to sign).
struct principal_components {
    std::vector<double> mean;                     // [d]
    std::vector<double> variances;                // [d], decreasing
    std::vector<std::vector<double>> directions;  // d unit vectors of d coordinates

    /// The point mean + Σ_k coefficients[k]·√variances[k]·directions[k] (coefficients in standard
    /// deviations, fewer than d allowed): a step along the principal axes.
    std::vector<double> point(const std::vector<double>& coefficients) const {
        LATENT_CHECK(coefficients.size() <= directions.size(), shape_error, "principal_components::point: ",
                     coefficients.size(), " coefficients for ", directions.size(), " directions");
        std::vector<double> p = mean;
        for (std::size_t k = 0; k < coefficients.size(); ++k) {
            const double s = coefficients[k] * std::sqrt(std::max(0.0, variances[k]));
            for (std::size_t j = 0; j < p.size(); ++j) p[j] += s * directions[k][j];
        }
        return p;
    }
};

/// Principal components of `points` [n, d] by Eigen's SelfAdjointEigenSolver on the covariance.
/// requires: n ≥ 2, d ≥ 1 (shape_error).
inline principal_components principal_directions(const host_points& points) {
    LATENT_CHECK(points.n >= 2 && points.d >= 1, shape_error, "principal_directions: need at least 2 points, got ",
                 points.n, "×", points.d);
    const Eigen::Index n = points.n, d = points.d;
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> x(
        points.values.data(), n, d);
    const Eigen::RowVectorXd mu = x.colwise().mean();
    const Eigen::MatrixXd centred = x.rowwise() - mu;
    const Eigen::MatrixXd cov = (centred.transpose() * centred) / static_cast<double>(n - 1);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
    LATENT_CHECK(solver.info() == Eigen::Success, config_error,
                 "principal_directions: the eigen-decomposition did not converge (non-finite points?)");
    principal_components pc;
    pc.mean.assign(mu.data(), mu.data() + d);
    // Eigen sorts eigenvalues increasingly: read them backwards
    for (Eigen::Index k = d - 1; k >= 0; --k) {
        Eigen::VectorXd v = solver.eigenvectors().col(k);
        Eigen::Index big = 0;
        v.cwiseAbs().maxCoeff(&big);
        if (v(big) < 0) v = -v;
        pc.variances.push_back(solver.eigenvalues()(k));
        pc.directions.emplace_back(v.data(), v.data() + d);
    }
    return pc;
}

}  // namespace latent::eval
