// latent/eval/switch_accuracy.hpp: seed 000's Method 1. A classifier trained on real data (the
// "judge") classifies images whose attribute a model has switched to a target class; the
// switch succeeded where the judge sees the target. Reported per target class and overall.
//
// Also a judge for 28×28 grey images (Fashion-MNIST, MNIST): the β-VAE-style convolutional
// stack of nn::conv_encoder(conv_stack_28(), classes), trained with Adam on softmax
// cross-entropy. Three epochs on Fashion-MNIST's 60 000 training images give about 0.90 on its
// test split (the attribute_switch example checks ≥ 0.88 and reports it as judge_accuracy).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
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

/// Method 1's table: the fraction of images switched to class c that the judge assigns to c
/// (`per_class[c]`, NaN for a class with no images), their counts, and `overall`, the fraction
/// over all images (the mean of per_class weighted by count; with equally many images per
/// class, the plain mean).
struct switch_accuracy_report {
    std::vector<double> per_class;
    std::vector<std::int64_t> counts;
    double overall = 0;
};

/// The report from the judge's predictions and the targets, one each per switched image.
/// requires: equally many predictions and targets, targets in [0, classes) (shape_error /
///           config_error); classes = 0 takes 1 + the largest target. A prediction outside
///           [0, classes) simply counts as wrong.
inline switch_accuracy_report switch_accuracy_from_predictions(const host_labels& predicted, const host_labels& targets,
                                                               std::int64_t classes = 0) {
    LATENT_CHECK(predicted.width == 1 && targets.width == 1 && predicted.n == targets.n, shape_error,
                 "switch_accuracy: ", predicted.n, "×", predicted.width, " predictions for ", targets.n, "×",
                 targets.width, " targets (one class each)");
    if (classes == 0)
        for (const std::int32_t t : targets.values) classes = std::max<std::int64_t>(classes, t + 1);
    switch_accuracy_report r;
    r.per_class.assign(static_cast<std::size_t>(classes), 0.0);
    r.counts.assign(static_cast<std::size_t>(classes), 0);
    std::int64_t right = 0;
    for (std::int64_t i = 0; i < targets.n; ++i) {
        const std::int32_t t = targets.at(i);
        LATENT_CHECK(t >= 0 && t < classes, config_error, "switch_accuracy: target ", t, " of image ", i,
                     " outside the ", classes, " classes");
        ++r.counts[static_cast<std::size_t>(t)];
        if (predicted.at(i) == t) {
            r.per_class[static_cast<std::size_t>(t)] += 1;
            ++right;
        }
    }
    for (std::size_t c = 0; c < r.per_class.size(); ++c)
        r.per_class[c] = r.counts[c] > 0 ? r.per_class[c] / static_cast<double>(r.counts[c])
                                         : std::numeric_limits<double>::quiet_NaN();
    r.overall = targets.n > 0 ? static_cast<double>(right) / static_cast<double>(targets.n)
                              : std::numeric_limits<double>::quiet_NaN();
    return r;
}

/// Method 1: `judge(switched)` gives one predicted class per image (a std::vector<int32_t> or a
/// tensor<int32_t, B>), `targets[i]` the class image i was switched to.
/// requires: Judge callable on `switched` ([n, …] images, any type it accepts).
template <class Judge, class Images>
switch_accuracy_report switch_accuracy(Judge&& judge, const Images& switched, const host_labels& targets,
                                       std::int64_t classes = 0) {
    const host_labels predicted = std::forward<Judge>(judge)(switched);
    return switch_accuracy_from_predictions(predicted, targets, classes);
}

/// Method 1 with the switched images grouped by target: `switched[c]` holds the images switched
/// to class c (an empty tensor, or an undefined one, for none).
template <class Judge, scalar T, backend B>
switch_accuracy_report switch_accuracy(Judge&& judge, const std::vector<tensor<T, B>>& switched) {
    std::vector<std::int32_t> predicted, targets;
    for (std::size_t c = 0; c < switched.size(); ++c) {
        if (!switched[c].defined() || switched[c].numel() == 0) continue;
        const host_labels p = judge(switched[c]);
        LATENT_CHECK(p.n == switched[c].rows(), shape_error, "switch_accuracy: the judge gave ", p.n,
                     " predictions for ", switched[c].rows(), " images of class ", c);
        predicted.insert(predicted.end(), p.values.begin(), p.values.end());
        targets.insert(targets.end(), static_cast<std::size_t>(p.n), static_cast<std::int32_t>(c));
    }
    return switch_accuracy_from_predictions(predicted, targets, static_cast<std::int64_t>(switched.size()));
}

/// Options of train_judge: `judge_options{}.epochs(3).batch(128).lr(1e-3).seed(0)`.
class judge_options {
public:
    /// Passes over the training images (default 3).
    judge_options& epochs(int n) {
        LATENT_CHECK(n >= 1, config_error, "judge_options::epochs: ", n, " must be at least 1");
        epochs_ = n;
        return *this;
    }
    /// Images per Adam step (default 128).
    judge_options& batch(std::int64_t n) {
        LATENT_CHECK(n >= 1, config_error, "judge_options::batch: ", n, " must be at least 1");
        batch_ = n;
        return *this;
    }
    /// Adam's learning rate (default 1e-3).
    judge_options& lr(double v) {
        LATENT_CHECK(v > 0, config_error, "judge_options::lr: ", v, " must be positive");
        lr_ = v;
        return *this;
    }
    /// Seed of the weights and of the batch order (default 0).
    judge_options& seed(std::uint64_t s) {
        seed_ = s;
        return *this;
    }
    /// Number of classes (default 10).
    judge_options& classes(std::int64_t c) {
        LATENT_CHECK(c >= 2, config_error, "judge_options::classes: ", c, " must be at least 2");
        classes_ = c;
        return *this;
    }
    /// The convolutional stack (default nn::conv_stack_28(): two 4×4 stride-2 convolutions of 32
    /// and 64 filters, a hidden layer of 256); its channels and side must match the images.
    judge_options& stack(nn::conv_stack s) {
        stack_ = std::move(s);
        return *this;
    }
    /// Called after every epoch with (epoch from 1, mean training loss): progress output.
    judge_options& on_epoch(std::function<void(int, double)> f) {
        on_epoch_ = std::move(f);
        return *this;
    }

    /// OpenMP threads while training and judging; 0 (default) leaves OpenMP's setting alone.
    /// 1 is much faster on a machine whose cores are busy with other work.
    judge_options& threads(int n) {
        LATENT_CHECK(n >= 0, config_error, "judge_options::threads: ", n, " must not be negative");
        threads_ = n;
        return *this;
    }

    int epochs() const { return epochs_; }
    int threads() const { return threads_; }
    std::int64_t batch() const { return batch_; }
    double lr() const { return lr_; }
    std::uint64_t seed() const { return seed_; }
    std::int64_t classes() const { return classes_; }
    const nn::conv_stack& stack() const { return stack_; }
    const std::function<void(int, double)>& on_epoch() const { return on_epoch_; }

private:
    int epochs_ = 3;
    int threads_ = 0;
    std::int64_t batch_ = 128;
    double lr_ = 1e-3;
    std::uint64_t seed_ = 0;
    std::int64_t classes_ = 10;
    nn::conv_stack stack_ = nn::conv_stack_28();
    std::function<void(int, double)> on_epoch_;
};

/// A trained image classifier: `j(images)` predicts one class per image ([n, C, H, W] on B).
template <backend B = cpu>
class judge {
public:
    /// `threads`: OpenMP threads while judging, 0 for OpenMP's setting (see judge_options::threads).
    judge(std::unique_ptr<nn::sequential<float, B>> net, std::int64_t classes, int threads = 0)
        : net_(std::move(net)), classes_(classes), threads_(threads) {}

    nn::sequential<float, B>& network() { return *net_; }
    std::int64_t classes() const { return classes_; }

    /// The class of largest logit for each image (the lowest class on ties), in evaluation mode,
    /// 1000 images at a time.
    std::vector<std::int32_t> operator()(const tensor<float, B>& images) {
        LATENT_CHECK(images.rank() == 4, shape_error, "judge: images must be [N, C, H, W], got ", images.shape());
        std::optional<detail::omp_threads_scope> team;
        if (threads_ > 0) team.emplace(threads_);
        no_grad guard;
        net_->eval();
        std::vector<std::int32_t> out(static_cast<std::size_t>(images.dim(0)));
        const auto C = static_cast<std::size_t>(classes_);
        constexpr std::int64_t chunk = 1000;
        for (std::int64_t b = 0; b < images.dim(0); b += chunk) {
            const std::int64_t e = std::min(images.dim(0), b + chunk);
            const std::vector<float> l = net_->forward(var<float, B>(images.rows(b, e))).value().to_vector();
            for (std::int64_t i = b; i < e; ++i) {
                const float* row = l.data() + static_cast<std::size_t>(i - b) * C;
                out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(std::max_element(row, row + C) - row);
            }
        }
        net_->train();
        return out;
    }

    /// Fraction of images classified as their label; throws shape_error if the counts differ.
    double accuracy(const tensor<float, B>& images, const host_labels& labels) {
        LATENT_CHECK(labels.width == 1 && labels.n == images.dim(0), shape_error, "judge::accuracy: ", images.dim(0),
                     " images and ", labels.n, "×", labels.width, " labels");
        const std::vector<std::int32_t> p = (*this)(images);
        std::int64_t right = 0;
        for (std::size_t i = 0; i < p.size(); ++i) right += p[i] == labels.values[i];
        return p.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(p.size());
    }

private:
    std::unique_ptr<nn::sequential<float, B>> net_;
    std::int64_t classes_;
    int threads_;
};

namespace detail {
/// A fresh nn::conv_encoder(options.stack(), outputs) trained by Adam on real images
/// [N, C, H, W] for options.epochs() epochs, a fresh random order each, minimising
/// mean(loss(logits, batch row indices)); the weights and the order come from one generator
/// seeded with options.seed(). The training loop of every judge.
template <backend B, class Loss>
std::unique_ptr<nn::sequential<float, B>> train_conv_classifier(const tensor<float, B>& images, std::int64_t outputs,
                                                                const judge_options& options, const char* who,
                                                                Loss&& loss) {
    const nn::conv_stack& s = options.stack();
    LATENT_CHECK(images.rank() == 4 && images.dim(1) == s.channels && images.dim(2) == s.side &&
                     images.dim(3) == s.side,
                 shape_error, who, ": images ", images.shape(), " do not match the stack's [N, ", s.channels, ", ",
                 s.side, ", ", s.side, "]");
    LATENT_CHECK(images.dim(0) >= 1, shape_error, who, ": no images");
    std::optional<omp_threads_scope> team;
    if (options.threads() > 0) team.emplace(options.threads());
    generator gen(options.seed());
    auto net = nn::conv_encoder<float, B>(s, outputs, gen);
    net->train();
    adam<float, B> opt(net->parameters("default"), adam_options{}.lr(options.lr()));
    const std::int64_t n = images.dim(0), batch = options.batch();
    for (int epoch = 1; epoch <= options.epochs(); ++epoch) {
        const tensor<std::int32_t, B> order = permutation<B>(n, gen);
        double total = 0;
        std::int64_t steps = 0;
        for (std::int64_t b = 0; b < n; b += batch) {
            const tensor<std::int32_t, B> idx = order.rows(b, std::min(n, b + batch));
            opt.zero_grad();
            const auto l = mean(loss(net->forward(var<float, B>(take_rows(images, idx))), idx));
            backward(l);
            opt.step();
            total += static_cast<double>(l.item());
            ++steps;
        }
        if (options.on_epoch()) options.on_epoch()(epoch, total / static_cast<double>(steps));
    }
    return net;
}
}  // namespace detail

/// Trains a judge on real images [N, C, H, W] (values in [0, 1]) and their class labels [N]:
/// Adam on the mean softmax cross-entropy, a fresh random order each epoch.
/// requires: images match options.stack() (channels, side), labels in [0, classes) (shape_error /
///           config_error, from the checks of the ops).
/// ensures:  the same inputs and options give the same judge (on a given machine and thread count).
template <backend B>
judge<B> train_judge(const tensor<float, B>& images, const tensor<std::int32_t, B>& labels,
                     const judge_options& options = {}) {
    LATENT_CHECK(labels.numel() == images.dim(0), shape_error, "train_judge: ", images.dim(0), " images but ",
                 labels.numel(), " labels");
    const auto flat_labels = labels.reshape(shape{labels.numel()});
    auto net = detail::train_conv_classifier(
        images, options.classes(), options, "train_judge",
        [&](const var<float, B>& logits, const tensor<std::int32_t, B>& idx) {
            return cross_entropy_with_logits(logits, take_rows(flat_labels, idx));
        });
    return judge<B>(std::move(net), options.classes(), options.threads());
}

}  // namespace latent::eval
