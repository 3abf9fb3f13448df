// latent/eval/probes.hpp: how much label information a representation holds, measured by
// training a fresh classifier on it (seed 003 Table 1, seed 001: "acc_from_z", "acc_from_w").
//
// A probe is trained on the training points' features (say, posterior means of one latent
// segment) and scored on held-out points. The probe must be nonlinear: the swiss roll's label
// is not linearly separable even in x, so a linear probe would call a segment label-free when
// it is not. The default is an MLP with two hidden layers of 64 ReLU units, Adam lr 1e-3,
// batch 64, on standardised features (train mean and standard deviation, applied to both
// sets). `linear_probe_accuracy` (multinomial logistic regression) is there for comparison.
//
// Everything is a function of the data and the seed: weights, batch order and so the accuracy
// (given the same machine and thread count, as any float computation).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/tape.hpp"
#include "latent/core/rng.hpp"
#include "latent/eval/host_data.hpp"
#include "latent/nn/builders.hpp"
#include "latent/optim/adam.hpp"
#include "latent/tensor/index.hpp"
#include "latent/tensor/random.hpp"

namespace latent::eval {

/// Options of a probe: `probe_options{}.hidden({64, 64}).epochs(60).seed(1)`.
class probe_options {
public:
    /// Hidden layer widths (default {64, 64}); empty gives a linear classifier.
    probe_options& hidden(std::vector<std::int64_t> widths) {
        for (std::int64_t w : widths)
            LATENT_CHECK(w >= 1, config_error, "probe_options::hidden: width ", w, " must be at least 1");
        hidden_ = std::move(widths);
        return *this;
    }
    /// Passes over the training points (default 60).
    probe_options& epochs(int n) {
        LATENT_CHECK(n >= 1, config_error, "probe_options::epochs: ", n, " must be at least 1");
        epochs_ = n;
        return *this;
    }
    /// Examples per Adam step (default 64).
    probe_options& batch(std::int64_t n) {
        LATENT_CHECK(n >= 1, config_error, "probe_options::batch: ", n, " must be at least 1");
        batch_ = n;
        return *this;
    }
    /// Adam's learning rate (default 1e-3).
    probe_options& lr(double v) {
        LATENT_CHECK(v > 0, config_error, "probe_options::lr: ", v, " must be positive");
        lr_ = v;
        return *this;
    }
    /// Seed of the weights and of the batch order (default 0).
    probe_options& seed(std::uint64_t s) {
        seed_ = s;
        return *this;
    }
    /// Number of classes; 0 (default) takes 1 + the largest label seen in either set.
    probe_options& classes(std::int64_t c) {
        LATENT_CHECK(c >= 0, config_error, "probe_options::classes: ", c, " must not be negative");
        classes_ = c;
        return *this;
    }

    const std::vector<std::int64_t>& hidden() const { return hidden_; }
    int epochs() const { return epochs_; }
    std::int64_t batch() const { return batch_; }
    double lr() const { return lr_; }
    std::uint64_t seed() const { return seed_; }
    std::int64_t classes() const { return classes_; }
    int threads() const { return threads_; }

    /// OpenMP threads while training (default 1: a probe's ops are too small to pay for waking
    /// a team, and one thread makes the result independent of the machine's core count).
    probe_options& threads(int n) {
        LATENT_CHECK(n >= 1, config_error, "probe_options::threads: ", n, " must be at least 1");
        threads_ = n;
        return *this;
    }

private:
    std::vector<std::int64_t> hidden_{64, 64};
    int threads_ = 1;
    int epochs_ = 60;
    std::int64_t batch_ = 64;
    double lr_ = 1e-3;
    std::uint64_t seed_ = 0;
    std::int64_t classes_ = 0;
};

/// A trained probe: the standardisation it learnt and its network (float, CPU).
class probe {
public:
    probe(std::vector<double> mean, std::vector<double> inv_std, std::unique_ptr<nn::sequential<float, cpu>> net,
          std::int64_t classes)
        : mean_(std::move(mean)), inv_std_(std::move(inv_std)), net_(std::move(net)), classes_(classes) {}

    std::int64_t dim() const { return static_cast<std::int64_t>(mean_.size()); }
    std::int64_t classes() const { return classes_; }
    nn::sequential<float, cpu>& network() { return *net_; }

    /// The standardised features of `x` as a float tensor [n, d]; throws shape_error for another d.
    tensor<float, cpu> standardise(const host_points& x) const {
        LATENT_CHECK(x.d == dim(), shape_error, "probe: points of ", x.d, " coordinates for a probe trained on ",
                     dim());
        std::vector<float> v(x.values.size());
        const auto d = static_cast<std::size_t>(x.d);
        for (std::size_t i = 0; i < v.size(); ++i)
            v[i] = static_cast<float>((x.values[i] - mean_[i % d]) * inv_std_[i % d]);
        return tensor<float, cpu>::from_host(shape{x.n, x.d}, v);
    }

    /// The predicted class of each point (argmax of the logits, the lowest class on ties).
    std::vector<std::int32_t> predict(const host_points& x) {
        const tensor<float, cpu> xs = standardise(x);
        detail::omp_threads_scope one_thread(1);
        no_grad guard;
        net_->eval();
        std::vector<std::int32_t> out(static_cast<std::size_t>(x.n));
        constexpr std::int64_t chunk = 4096;  // bounds the activations' memory on big sets
        for (std::int64_t b = 0; b < x.n; b += chunk) {
            const std::int64_t e = std::min(x.n, b + chunk);
            const std::vector<float> l = net_->forward(var<float, cpu>(xs.rows(b, e))).value().to_vector();
            const auto C = static_cast<std::size_t>(classes_);
            for (std::int64_t i = b; i < e; ++i) {
                const float* row = l.data() + static_cast<std::size_t>(i - b) * C;
                out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(std::max_element(row, row + C) - row);
            }
        }
        net_->train();
        return out;
    }

    /// Fraction of points whose predicted class is their label; throws shape_error if the counts differ.
    double accuracy(const host_points& x, const host_labels& y) {
        LATENT_CHECK(y.width == 1 && y.n == x.n, shape_error, "probe::accuracy: ", x.n, " points and ", y.n, "×",
                     y.width, " labels");
        if (x.n == 0) return 0.0;
        const std::vector<std::int32_t> p = predict(x);
        std::int64_t right = 0;
        for (std::size_t i = 0; i < p.size(); ++i) right += p[i] == y.values[i];
        return static_cast<double>(right) / static_cast<double>(x.n);
    }

private:
    std::vector<double> mean_, inv_std_;
    std::unique_ptr<nn::sequential<float, cpu>> net_;
    std::int64_t classes_;
};

/// Early stopping for train_probe: after each pass, the probe's accuracy on a validation set; the
/// probe returned is the one of the best pass (the earliest, on ties), and training stops once
/// `patience` passes in a row have not beaten it (seed 003's label-prediction probes).
struct validation_set {
    const host_points* x = nullptr;
    const host_labels* y = nullptr;
    int patience = 5;
};

/// Trains a fresh probe: standardise with the training points' mean and standard deviation (a
/// coordinate with deviation below 1e-12 is only centred), then `options.epochs()` passes of Adam
/// over softmax cross-entropy, each pass in a fresh random order, batches of `options.batch()`;
/// with `validation`, early-stopped as validation_set says.
///
/// requires: x [n, d] with n ≥ 1, labels one per point in [0, classes) (shape_error / config_error).
/// ensures:  the same inputs and options give the same probe; the state after pass k does not
///           depend on `options.epochs()` or on the validation set.
inline probe train_probe(const host_points& x, const host_labels& y, const probe_options& options = {},
                         const validation_set* validation = nullptr) {
    LATENT_CHECK(validation == nullptr || (validation->x != nullptr && validation->y != nullptr &&
                                           validation->patience >= 0),
                 config_error, "train_probe: a validation set needs points, labels and a patience >= 0");
    LATENT_CHECK(x.n >= 1 && x.d >= 1, shape_error, "train_probe: no training points (", x.n, "×", x.d, ")");
    LATENT_CHECK(y.width == 1 && y.n == x.n, shape_error, "train_probe: ", x.n, " points but ", y.n, "×", y.width,
                 " labels (one class label per point)");
    std::int64_t classes = options.classes();
    const std::int32_t top = *std::max_element(y.values.begin(), y.values.end());
    const std::int32_t low = *std::min_element(y.values.begin(), y.values.end());
    LATENT_CHECK(low >= 0, config_error, "train_probe: negative label ", low);
    if (classes == 0) classes = std::max<std::int64_t>(2, top + 1);
    LATENT_CHECK(top < classes, config_error, "train_probe: label ", top, " outside the ", classes, " classes");

    const auto d = static_cast<std::size_t>(x.d);
    std::vector<double> mu(d, 0.0), inv_std(d, 1.0), sq(d, 0.0);
    for (std::int64_t i = 0; i < x.n; ++i)
        for (std::size_t j = 0; j < d; ++j) mu[j] += x.row(i)[j];
    for (double& m : mu) m /= static_cast<double>(x.n);
    for (std::int64_t i = 0; i < x.n; ++i)
        for (std::size_t j = 0; j < d; ++j) sq[j] += (x.row(i)[j] - mu[j]) * (x.row(i)[j] - mu[j]);
    for (std::size_t j = 0; j < d; ++j) {
        const double s = std::sqrt(sq[j] / static_cast<double>(x.n));
        inv_std[j] = s > 1e-12 ? 1.0 / s : 1.0;
    }

    generator gen(options.seed());
    std::vector<std::int64_t> widths{x.d};
    widths.insert(widths.end(), options.hidden().begin(), options.hidden().end());
    widths.push_back(classes);
    probe p(std::move(mu), std::move(inv_std), nn::mlp<float, cpu>(widths, gen), classes);

    detail::omp_threads_scope one_thread(options.threads());
    const tensor<float, cpu> xs = p.standardise(x);
    const auto ys = tensor<std::int32_t, cpu>::from_host(shape{x.n}, y.values);
    auto& net = p.network();
    net.train();
    adam<float, cpu> opt(net.parameters("default"), adam_options{}.lr(options.lr()));
    const std::int64_t B = options.batch();
    double best = -1;
    int since_best = 0;
    std::vector<tensor<float, cpu>> best_weights;
    for (int epoch = 0; epoch < options.epochs(); ++epoch) {
        const tensor<std::int32_t, cpu> order = permutation<cpu>(x.n, gen);
        for (std::int64_t b = 0; b < x.n; b += B) {
            const tensor<std::int32_t, cpu> idx = order.rows(b, std::min(x.n, b + B));
            opt.zero_grad();
            const auto loss = mean(cross_entropy_with_logits(net.forward(var<float, cpu>(take_rows(xs, idx))),
                                                             take_rows(ys, idx)));
            backward(loss);
            opt.step();
        }
        if (validation == nullptr) continue;
        const double accuracy = p.accuracy(*validation->x, *validation->y);
        if (accuracy > best) {
            best = accuracy;
            since_best = 0;
            best_weights.clear();
            for (auto* q : net.parameters()) best_weights.push_back(q->value().clone());
        } else if (++since_best > validation->patience) {
            break;
        }
    }
    if (!best_weights.empty()) {
        const auto params = net.parameters();
        for (std::size_t k = 0; k < params.size(); ++k) params[k]->value().copy_(best_weights[k]);
    }
    return p;
}

/// Test accuracy of a fresh nonlinear probe (see train_probe) trained on (train_x, train_y):
/// "acc_from_z" when the features are the posterior means of segment z.
/// requires: train_x [n, d], test_x [m, d], one label per point.
inline double probe_accuracy(const host_points& train_x, const host_labels& train_y, const host_points& test_x,
                             const host_labels& test_y, const probe_options& options = {}) {
    probe_options o = options;
    if (o.classes() == 0 && !train_y.values.empty() && !test_y.values.empty()) {
        // size the output layer for the labels of both sets, so an unseen test class is simply missed
        const std::int32_t top = std::max(*std::max_element(train_y.values.begin(), train_y.values.end()),
                                          *std::max_element(test_y.values.begin(), test_y.values.end()));
        o.classes(std::max<std::int64_t>(2, top + 1));
    }
    probe p = train_probe(train_x, train_y, o);
    return p.accuracy(test_x, test_y);
}

/// Test accuracy of multinomial logistic regression (a probe with no hidden layer) trained as
/// train_probe trains; `options.hidden()` is ignored. A lower bound on what a segment holds.
inline double linear_probe_accuracy(const host_points& train_x, const host_labels& train_y, const host_points& test_x,
                                    const host_labels& test_y, const probe_options& options = {}) {
    probe_options o = options;
    o.hidden({});
    return probe_accuracy(train_x, train_y, test_x, test_y, o);
}

}  // namespace latent::eval
