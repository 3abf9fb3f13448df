// latent/models/manipulate.hpp: what a user does with a trained model (seed 000 §4.3).
//
// Works on any composed model (models/model.hpp):
//   encode_dataset        posterior means of a whole dataset, in batches
//   class_means           the mean latent of each class (VAE latent arithmetic, CSVAE's w*)
//   switch_by_arithmetic  VAE: decode(μ(x) − m_ℓ + m_ℓ')                    (MODELS.md §1)
//   switch_by_label       CondVAE: encode with y, decode with c·y'           (MODELS.md §2)
//   switch_by_segment     CSVAE: keep z, set the segment w to a target's w*  (MODELS.md §4)
//   segment_grid          decode a grid over two dims of one segment
//   principal_traversal   decode along a principal direction of a segment's codes (eval/pca.hpp)
// Latents and means are host (cpu) tensors; images come back on the model's backend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <cmath>

#include "latent/data/loader.hpp"
#include "latent/eval/pca.hpp"
#include "latent/models/model.hpp"

namespace latent {

/// Posterior means of `ids` of `src` ([n, total] on the host) and their labels ([n, label_width]).
struct encoded_set {
    tensor<float, cpu> latents;
    std::vector<std::int32_t> labels;
    std::int64_t label_width = 1;
};

template <class M, data::source S>
encoded_set encode_dataset(M& m, const S& src, const data::index_list& ids, std::int64_t batch = 256) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    data::loader<T, B> l(src, ids, data::loader_options{}.batch_size(batch).shuffle(false).background(false));
    std::vector<float> values;
    encoded_set out;
    out.label_width = src.layout().label_width;
    data::batch<T, B> b;
    m.set_training(false);
    while (l.next(b)) {
        const auto z = m.encode_mean(b.x, b.y).to_vector();
        values.insert(values.end(), z.begin(), z.end());
        const auto y = b.y.to_vector();
        out.labels.insert(out.labels.end(), y.begin(), y.end());
    }
    const auto n = static_cast<std::int64_t>(ids.size());
    out.latents = tensor<float, cpu>::from_host({n, m.layout().total}, values);
    return out;
}

/// The mean latent of each class c in [0, classes) of column `column` of the labels: [classes, total].
/// A class with no example keeps a zero row.
inline tensor<float, cpu> class_means(const encoded_set& e, std::int64_t classes, std::int64_t column = 0) {
    const std::int64_t n = e.latents.rows(), d = e.latents.cols();
    LATENT_CHECK(column >= 0 && column < e.label_width, config_error, "class_means: label column ", column, " of ",
                 e.label_width);
    const auto z = e.latents.to_vector();
    std::vector<float> sum(static_cast<std::size_t>(classes * d), 0.0f);
    std::vector<std::int64_t> count(static_cast<std::size_t>(classes), 0);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int32_t c = e.labels[static_cast<std::size_t>(i * e.label_width + column)];
        LATENT_CHECK(c >= 0 && c < classes, config_error, "class_means: label ", c, " of example ", i,
                     " is not below ", classes);
        ++count[static_cast<std::size_t>(c)];
        for (std::int64_t k = 0; k < d; ++k) sum[static_cast<std::size_t>(c * d + k)] += z[static_cast<std::size_t>(i * d + k)];
    }
    for (std::int64_t c = 0; c < classes; ++c)
        for (std::int64_t k = 0; k < d; ++k)
            if (count[static_cast<std::size_t>(c)] > 0) sum[static_cast<std::size_t>(c * d + k)] /= static_cast<float>(count[static_cast<std::size_t>(c)]);
    return tensor<float, cpu>::from_host({classes, d}, sum);
}

namespace detail {
template <class T, backend B>
tensor<T, B> to_model(const std::vector<float>& host, const latent::shape& s) {
    std::vector<T> v(host.begin(), host.end());
    return tensor<T, B>::from_host(s, v);
}
inline std::vector<std::int32_t> one_label_column(const std::vector<std::int32_t>& y, std::int64_t width, std::int64_t column) {
    std::vector<std::int32_t> out;
    for (std::size_t i = static_cast<std::size_t>(column); i < y.size(); i += static_cast<std::size_t>(width)) out.push_back(y[i]);
    return out;
}
}  // namespace detail

/// VAE latent arithmetic: decode(μ(x) − m_{y} + m_{target}) per example, with `means` from class_means.
template <class M>
auto switch_by_arithmetic(M& m, const typename M::tensor_type& x, const typename M::labels_type& y,
                          const std::vector<std::int32_t>& targets, const tensor<float, cpu>& means) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const auto z = m.encode_mean(x, y).to_vector();
    const auto ys = y.to_vector();
    const auto mu = means.to_vector();
    const std::int64_t n = x.shape()[0], d = m.layout().total;
    LATENT_CHECK(static_cast<std::int64_t>(targets.size()) == n && means.cols() == d, shape_error,
                 "switch_by_arithmetic: ", n, " inputs, ", targets.size(), " targets, class means ", means.shape());
    std::vector<float> out(z.begin(), z.end());
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t from = ys[static_cast<std::size_t>(i * y.cols())], to = targets[static_cast<std::size_t>(i)];
        LATENT_CHECK(from >= 0 && from < means.rows() && to >= 0 && to < means.rows(), config_error,
                     "switch_by_arithmetic: class ", from, " → ", to, " outside the ", means.rows(), " class means");
        for (std::int64_t k = 0; k < d; ++k)
            out[static_cast<std::size_t>(i * d + k)] += mu[static_cast<std::size_t>(to * d + k)] - mu[static_cast<std::size_t>(from * d + k)];
    }
    return m.decode(detail::to_model<T, B>(out, {n, d}), y);
}

/// CondVAE's switch: encode with the true labels, decode with `targets` (one class per example, or
/// [n, L] binary rows) scaled by `scale` (MODELS.md §2: c·y').
template <class M>
auto switch_by_label(M& m, const typename M::tensor_type& x, const typename M::labels_type& y,
                     const typename M::labels_type& targets, double scale = 1.0) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const auto z = m.encode_mean(x, y);
    const auto& layout = m.data_layout();
    const std::int64_t n = x.shape()[0], k = m.label_outputs();
    const auto t = targets.to_vector();
    std::vector<float> values(static_cast<std::size_t>(n * k), 0.0f);
    for (std::int64_t i = 0; i < n; ++i) {
        if (layout.categorical()) {
            const std::int32_t c = t[static_cast<std::size_t>(i)];
            LATENT_CHECK(c >= 0 && c < k, config_error, "switch_by_label: target class ", c, " of ", k);
            values[static_cast<std::size_t>(i * k + c)] = static_cast<float>(scale);
        } else {
            for (std::int64_t j = 0; j < k; ++j)
                values[static_cast<std::size_t>(i * k + j)] = static_cast<float>(scale) * static_cast<float>(t[static_cast<std::size_t>(i * k + j)]);
        }
    }
    return m.decode_with_label_values(z, detail::to_model<T, B>(values, {n, k}));
}

/// CSVAE's switch: keep every segment of x's encoding but `segment`, which becomes the target's
/// row of `targets_of_segment` ([classes, segment dim], e.g. the validation mean of w per class).
template <class M>
auto switch_by_segment(M& m, const typename M::tensor_type& x, const typename M::labels_type& y,
                       const std::vector<std::int32_t>& targets, const std::string& segment,
                       const tensor<float, cpu>& targets_of_segment) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const auto& s = m.layout()[segment];
    const std::int64_t n = x.shape()[0], d = m.layout().total;
    LATENT_CHECK(targets_of_segment.cols() == s.dim, shape_error, "switch_by_segment: targets ",
                 targets_of_segment.shape(), " for segment \"", segment, "\" of ", s.dim, " dims");
    const auto z = m.encode_mean(x, y).to_vector();
    const auto w = targets_of_segment.to_vector();
    std::vector<float> out(z.begin(), z.end());
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int32_t c = targets[static_cast<std::size_t>(i)];
        LATENT_CHECK(c >= 0 && c < targets_of_segment.rows(), config_error, "switch_by_segment: target ", c, " of ",
                     targets_of_segment.rows());
        for (std::int64_t k = 0; k < s.dim; ++k)
            out[static_cast<std::size_t>(i * d + s.offset + k)] = w[static_cast<std::size_t>(c * s.dim + k)];
    }
    return m.decode(detail::to_model<T, B>(out, {n, d}), y);
}

/// The rows of `segment` in a latent set: [n, segment dim].
inline tensor<float, cpu> segment_of(const tensor<float, cpu>& latents, const segment& s) {
    const std::int64_t n = latents.rows(), d = latents.cols();
    const auto z = latents.to_vector();
    std::vector<float> out(static_cast<std::size_t>(n * s.dim));
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t k = 0; k < s.dim; ++k)
            out[static_cast<std::size_t>(i * s.dim + k)] = z[static_cast<std::size_t>(i * d + s.offset + k)];
    return tensor<float, cpu>::from_host({n, s.dim}, out);
}

/// Decodes steps × steps latents: `base` ([1, total]) with dims (first, second) of `segment` set to a grid
/// over [centre − radius, centre + radius]² (row-major, second dim fastest). For CSVAE's w_i with
/// d_w = 2: centre = μ_on (seed 000 §4.3).
template <class M>
auto segment_grid(M& m, const tensor<float, cpu>& base, const typename M::labels_type& y, const std::string& segment,
                  std::int64_t first, std::int64_t second, double centre, double radius, std::int64_t steps) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const auto& s = m.layout()[segment];
    LATENT_CHECK(first >= 0 && first < s.dim && second >= 0 && second < s.dim && steps >= 2, config_error,
                 "segment_grid: dims ", first, ", ", second, " of segment \"", segment, "\" (", s.dim, " dims), ",
                 steps, " steps");
    const std::int64_t d = m.layout().total;
    const auto b = base.to_vector();
    std::vector<float> out;
    for (std::int64_t r = 0; r < steps; ++r)
        for (std::int64_t c = 0; c < steps; ++c) {
            std::vector<float> z(b.begin(), b.begin() + d);
            z[static_cast<std::size_t>(s.offset + first)] = static_cast<float>(centre - radius + 2 * radius * double(r) / double(steps - 1));
            z[static_cast<std::size_t>(s.offset + second)] = static_cast<float>(centre - radius + 2 * radius * double(c) / double(steps - 1));
            out.insert(out.end(), z.begin(), z.end());
        }
    const auto yv = y.to_vector();
    std::vector<std::int32_t> ys;
    for (std::int64_t i = 0; i < steps * steps; ++i) ys.insert(ys.end(), yv.begin(), yv.begin() + y.cols());
    return m.decode(detail::to_model<T, B>(out, {steps * steps, d}),
                    M::labels_type::from_host({steps * steps, y.cols()}, ys));
}

/// Decodes `steps` latents: `base` ([1, total]) with `segment` set to mean + t·σ_k·direction_k,
/// t from −span to +span: the traversal of a higher-dimensional subspace (CSVAE with d_w > 2).
template <class M>
auto principal_traversal(M& m, const tensor<float, cpu>& base, const typename M::labels_type& y,
                         const std::string& segment, const eval::principal_components& axes, std::size_t component,
                         double span,
                         std::int64_t steps) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const auto& s = m.layout()[segment];
    LATENT_CHECK(component < axes.directions.size() && static_cast<std::int64_t>(axes.mean.size()) == s.dim &&
                     steps >= 2,
                 config_error, "principal_traversal: component ", component, " of ", axes.directions.size(),
                 " for segment \"", segment, "\" of ", s.dim, " dims, ", steps, " steps");
    const std::int64_t d = m.layout().total;
    const auto b = base.to_vector();
    std::vector<float> out;
    for (std::int64_t i = 0; i < steps; ++i) {
        const double t = -span + 2 * span * double(i) / double(steps - 1);
        std::vector<float> z(b.begin(), b.begin() + d);
        for (std::int64_t k = 0; k < s.dim; ++k)
            z[static_cast<std::size_t>(s.offset + k)] = static_cast<float>(
                axes.mean[static_cast<std::size_t>(k)] + t * std::sqrt(axes.variances[component]) *
                                                             axes.directions[component][static_cast<std::size_t>(k)]);
        out.insert(out.end(), z.begin(), z.end());
    }
    const auto yv = y.to_vector();
    std::vector<std::int32_t> ys;
    for (std::int64_t i = 0; i < steps; ++i) ys.insert(ys.end(), yv.begin(), yv.begin() + y.cols());
    return m.decode(detail::to_model<T, B>(out, {steps, d}), M::labels_type::from_host({steps, y.cols()}, ys));
}

}  // namespace latent
