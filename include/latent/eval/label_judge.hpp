// latent/eval/label_judge.hpp: a classifier of several binary labels trained on real images, the
// "pre-trained classifier" that seed 002's measures of interventions and characteristic swaps
// read (eval/interventions.hpp).
//
// The convolutional stack of the Method 1 judge (eval/switch_accuracy.hpp) with one logit per
// label, trained with Adam on the binary cross-entropy summed over the labels. It answers
// log p(y_j = 1 | image) = log σ(logit_j), computed as log_sigmoid so that a confident
// prediction does not round to log 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/eval/switch_accuracy.hpp"

namespace latent::eval {

/// A trained multi-label image classifier: log p(y_j = 1 | image) for each of its labels.
template <backend B = cpu>
class label_judge {
public:
    /// `threads`: OpenMP threads while judging, 0 for OpenMP's setting (see judge_options::threads).
    label_judge(std::unique_ptr<nn::sequential<float, B>> net, std::int64_t labels, int threads = 0)
        : net_(std::move(net)), labels_(labels), threads_(threads) {}

    nn::sequential<float, B>& network() { return *net_; }
    std::int64_t labels() const { return labels_; }

    /// log p(y_j = 1 | image) [n, labels] on the host, in evaluation mode, 1000 images at a time.
    tensor<float, cpu> log_probabilities(const tensor<float, B>& images) {
        LATENT_CHECK(images.rank() == 4, shape_error, "label_judge: images must be [N, C, H, W], got ",
                     images.shape());
        std::optional<detail::omp_threads_scope> team;
        if (threads_ > 0) team.emplace(threads_);
        no_grad guard;
        net_->eval();
        std::vector<float> out;
        out.reserve(static_cast<std::size_t>(images.dim(0) * labels_));
        constexpr std::int64_t chunk = 1000;
        for (std::int64_t b = 0; b < images.dim(0); b += chunk) {
            const std::int64_t e = std::min(images.dim(0), b + chunk);
            const auto l = log_sigmoid(net_->forward(var<float, B>(images.rows(b, e)))).value().to_vector();
            out.insert(out.end(), l.begin(), l.end());
        }
        net_->train();
        return tensor<float, cpu>::from_host({images.dim(0), labels_}, out);
    }

    /// The fraction of images whose label j the judge gets right (p ≥ ½ read as 1), per label,
    /// for labels [n, labels] of 0/1. Throws shape_error if the shapes disagree.
    std::vector<double> accuracy(const tensor<float, B>& images, const tensor<std::int32_t, cpu>& labels) {
        LATENT_CHECK(labels.rank() == 2 && labels.rows() == images.dim(0) && labels.cols() == labels_, shape_error,
                     "label_judge::accuracy: ", images.dim(0), " images and labels ", labels.shape(), " (", labels_,
                     " per image expected)");
        const std::vector<float> lp = log_probabilities(images).to_vector();
        const std::vector<std::int32_t> y = labels.to_vector();
        std::vector<double> right(static_cast<std::size_t>(labels_), 0.0);
        const double log_half = std::log(0.5);
        const std::int64_t n = images.dim(0);
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < labels_; ++j) {
                const auto at = static_cast<std::size_t>(i * labels_ + j);
                right[static_cast<std::size_t>(j)] += ((lp[at] >= log_half) == (y[at] != 0)) ? 1.0 : 0.0;
            }
        for (double& r : right) r = n > 0 ? r / static_cast<double>(n) : 0.0;
        return right;
    }

private:
    std::unique_ptr<nn::sequential<float, B>> net_;
    std::int64_t labels_;
    int threads_;
};

/// Trains a label judge on real images [N, C, H, W] (values in [0, 1]) and their binary labels
/// [N, L] (0/1): Adam on the mean over images of the binary cross-entropy summed over labels.
/// options.classes() is not read (L comes from the labels).
/// requires: images match options.stack(), labels [N, L] with L ≥ 1 (shape_error).
/// ensures:  the same inputs and options give the same judge (on a given machine and thread count).
template <backend B>
label_judge<B> train_label_judge(const tensor<float, B>& images, const tensor<std::int32_t, B>& labels,
                                 const judge_options& options = {}) {
    LATENT_CHECK(labels.rank() == 2 && labels.rows() == images.dim(0) && labels.cols() >= 1, shape_error,
                 "train_label_judge: ", images.dim(0), " images but labels ", labels.shape(), " (want [",
                 images.dim(0), ", L])");
    const tensor<float, B> targets = labels.template as<float>();
    auto net = detail::train_conv_classifier(
        images, labels.cols(), options, "train_label_judge",
        [&](const var<float, B>& logits, const tensor<std::int32_t, B>& idx) {
            return sum_rows(binary_cross_entropy_with_logits(logits, var<float, B>(take_rows(targets, idx))));
        });
    return label_judge<B>(std::move(net), labels.cols(), options.threads());
}

}  // namespace latent::eval
