// latent/models/characteristics.hpp: what a user does with a trained CCVAE (seed 002 §4–5), and
// the same tasks on its baselines, so that they can be compared.
//
// For every model whose objective declares a label_route (objectives/objective.hpp):
//   classify                q(y | x)
//   predict_labels          its most probable labels, as the dataset writes them
//   generate_with_labels    conditional generation with chosen labels
//   intervene               x decoded with new labels (all of them)
//   intervene_label         x decoded with one label set to a value, the others kept
//   flip_label              x decoded with one binary label flipped (seed 002's single intervention)
//   reconstruct_with_labels x decoded with its own predicted labels: what an intervention changes
//   characteristic_swap     a's characteristics (or, for the baselines, a's labels) on b
// and for a characteristic latent z_c alone (CCVAE, DIVA; a compile error for the others):
//   traverse_characteristic decode x along one dimension of z_c
//   intervention_diversity  many z_c ~ p(z_c | y') for one x, with the per-pixel variance
// How each route reads and writes labels:
//   characteristic_latent (CCVAE, DIVA): q(y | x) by Monte Carlo over q(z_c | x); labels are
//     written by setting z_c (or label i's dims of it) to the mean of p(z_c | y'), z_\c kept at
//     its posterior mean; a swap takes z_c of a and z_\c of b.
//   decoder_input (M2): q(y | x) is the classifier network; z is the mean of q(z | x, ŷ) with ŷ
//     x's predicted labels, decoded with y'; a swap decodes z of b with a's predicted labels
//     (M2 can carry a label across, not the characteristic behind it: seed 002 §6.4).
//   label_expert (MVAE): q(y | x) is p(y | z = mean of PoE(p(z), q(z|x))); labels are written by
//     decoding the mean of PoE(p(z), q(z|x), q(z|y')); a swap uses b's x-expert and the label
//     expert of a's predicted labels; conditional generation draws from PoE(p(z), q(z|y)).
// Labels are [n, label_width] int32 as the dataset gives them. `Segment` names z_c ("c"); it is
// read by the characteristic_latent route only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/models/model.hpp"
#include "latent/objectives/objective.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

/// A model whose objective says how labels enter its latent space (CCVAE, DIVA, M2, MVAE).
template <class M>
concept labelled_model = requires {
    { M::structure::objective::route } -> std::convertible_to<label_route>;
};

/// A model with a characteristic latent z_c, its classifier and conditional prior (CCVAE, DIVA).
template <class M>
concept characteristic_model = labelled_model<M> && M::structure::objective::route == label_route::characteristic_latent;

namespace detail {
/// Labels the encoder ignores but the model's calls take: zeros, [n, label_width].
template <class M>
typename M::labels_type unused_labels(const M& m, std::int64_t n) {
    return M::labels_type::zeros({n, m.data_layout().label_width});
}
/// latents with segment s replaced by `values` [n, s.dim] (host vectors, row-major).
inline void set_segment(std::vector<float>& latents, std::int64_t total, const segment& s,
                        const std::vector<float>& values, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t k = 0; k < s.dim; ++k)
            latents[static_cast<std::size_t>(i * total + s.offset + k)] = values[static_cast<std::size_t>(i * s.dim + k)];
}
/// A host latent [n, total] as the model's tensor.
template <class M>
typename M::tensor_type latent_tensor(const std::vector<float>& z, std::int64_t n, std::int64_t total) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    return tensor<float, cpu>::from_host({n, total}, z).template as<T>().template to<B>();
}
/// label_expert route: the mean of PoE(p(z), q(z | x), q(z | y)) for inputs x and label values
/// y [n, label_width] (no graph).
template <class M>
typename M::tensor_type expert_mean(M& m, const typename M::tensor_type& x, const typename M::labels_type& y) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    no_grad guard;
    auto& o = m.objective_impl();
    const auto x_expert = m.posterior_normal(x, unused_labels(m, x.shape()[0]), m.layout().segments[0].name);
    return o.product_of_experts({x_expert, o.expert_of(var<T, B>(m.label_values(y)))}).loc.value();
}
}  // namespace detail

/// q(y | x) for inputs x [n, …]: for one categorical label the class probabilities [n, K], for
/// binary labels P(y_i = 1) [n, L]. The characteristic_latent route takes the mean of q(y | z_c)
/// over `samples` draws z_c ~ q(z_c | x) from a generator seeded with `seed` (the model's own
/// generator is not moved); the other routes are deterministic and ignore both.
template <labelled_model M>
typename M::tensor_type classify(M& m, const typename M::tensor_type& x, std::int64_t samples = 100,
                                 std::uint64_t seed = 0, std::string_view segment = "c") {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    LATENT_CHECK(samples >= 1, config_error, "classify: ", samples, " samples");
    no_grad guard;
    const std::int64_t n = x.shape()[0];
    if constexpr (M::structure::objective::route == label_route::decoder_input) {
        return m.objective_impl().class_probabilities(var<T, B>(x)).value();
    } else if constexpr (M::structure::objective::route == label_route::label_expert) {
        const auto x_expert = m.posterior_normal(x, detail::unused_labels(m, n), m.layout().segments[0].name);
        return m.objective_impl().class_probabilities(x_expert).value();
    } else {
        const auto probabilities = [&](const var<T, B>& logits) {
            return m.data_layout().categorical() ? softmax_rows(logits) : sigmoid(logits);
        };
        const auto q = m.posterior_normal(x, detail::unused_labels(m, n), segment);
        generator gen(seed);
        tensor<T, B> total = tensor<T, B>::zeros({n, m.label_outputs()});
        for (std::int64_t k = 0; k < samples; ++k)
            total = (var<T, B>(total) + probabilities(m.objective_impl().logits(q.rsample(gen)))).value();
        return (var<T, B>(total) * (1.0 / static_cast<double>(samples))).value();
    }
}

/// The labels of largest q(y | x) for inputs x [n, …], as the dataset writes them ([n, 1] class
/// indices, or [n, L] 0/1 with P(y_i = 1) ≥ ½); `samples` and `seed` as in classify.
template <labelled_model M>
typename M::labels_type predict_labels(M& m, const typename M::tensor_type& x, std::int64_t samples = 100,
                                       std::uint64_t seed = 0, std::string_view segment = "c") {
    using B = typename M::var_type::backend_type;
    const std::vector<float> p = classify(m, x, samples, seed, segment).template as<float>().to_vector();
    const std::int64_t n = x.shape()[0], k = m.label_outputs();
    std::vector<std::int32_t> y;
    if (m.data_layout().categorical()) {
        for (std::int64_t i = 0; i < n; ++i) {
            std::int64_t best = 0;
            for (std::int64_t c = 1; c < k; ++c)
                if (p[static_cast<std::size_t>(i * k + c)] > p[static_cast<std::size_t>(i * k + best)]) best = c;
            y.push_back(static_cast<std::int32_t>(best));
        }
        return tensor<std::int32_t, cpu>::from_host({n, 1}, y).template to<B>();
    }
    for (const float v : p) y.push_back(v >= 0.5f ? 1 : 0);
    return tensor<std::int32_t, cpu>::from_host({n, k}, y).template to<B>();
}

/// Conditional generation with labels y [n, label_width]: the model's own generate(y) (z_c ~
/// p(z_c | y) or y fed to the decoder, the rest from the prior), or for the label_expert route
/// the decoder's mean at z ~ PoE(p(z), q(z | y)), drawn from a generator seeded with `seed`.
template <labelled_model M>
typename M::tensor_type generate_with_labels(M& m, const typename M::labels_type& y, std::uint64_t seed = 0) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    if constexpr (M::structure::objective::route == label_route::label_expert) {
        no_grad guard;
        auto& o = m.objective_impl();
        generator gen(seed);
        return m.decode(o.product_of_experts({o.expert_of(var<T, B>(m.label_values(y)))}).sample(gen), y);
    } else {
        return m.generate(y);
    }
}

/// Decodes x [n, …] with labels y_new [n, label_width] (a single intervention when one label
/// differs from x's own, a multiple one otherwise), given x's predicted labels y_x (as
/// predict_labels gives them; the decoder_input route encodes x with them, the others ignore
/// them). characteristic_latent: z_c set to the mean of p(z_c | y_new), z_\c kept at its
/// posterior mean; the other routes as the file's comment says.
template <labelled_model M>
typename M::tensor_type intervene(M& m, const typename M::tensor_type& x, const typename M::labels_type& y_x,
                                  const typename M::labels_type& y_new, std::string_view segment = "c") {
    const std::int64_t n = x.shape()[0], d = m.layout().total;
    LATENT_CHECK(y_new.rows() == n && y_x.rows() == n, shape_error, "intervene: ", n, " inputs but labels ",
                 y_new.shape(), " and predicted labels ", y_x.shape());
    if constexpr (M::structure::objective::route == label_route::decoder_input) {
        return m.decode(m.encode_mean(x, y_x), y_new);
    } else if constexpr (M::structure::objective::route == label_route::label_expert) {
        return m.decode(detail::expert_mean(m, x, y_new), y_new);
    } else {
        std::vector<float> z = m.encode_mean(x, detail::unused_labels(m, n)).template as<float>().to_vector();
        const auto p = m.prior_normal(segment, y_new);
        const latent::segment& s = m.layout()[segment];
        std::vector<float> loc = p.loc.value().template as<float>().to_vector();
        if (p.loc.rows() == 1 && n > 1) {  // a prior given once for every example
            std::vector<float> row = loc;
            loc.clear();
            for (std::int64_t i = 0; i < n; ++i) loc.insert(loc.end(), row.begin(), row.end());
        }
        detail::set_segment(z, d, s, loc, n);
        return m.decode(detail::latent_tensor<M>(z, n, d), y_new);
    }
}

/// intervene with x's labels predicted here, when the route needs them (`samples`, `seed`:
/// classify's).
template <labelled_model M>
typename M::tensor_type intervene(M& m, const typename M::tensor_type& x, const typename M::labels_type& y_new,
                                  std::string_view segment = "c", std::int64_t samples = 100, std::uint64_t seed = 0) {
    if constexpr (M::structure::objective::route == label_route::decoder_input)
        return intervene(m, x, predict_labels(m, x, samples, seed, segment), y_new, segment);
    else
        return intervene(m, x, y_new, y_new, segment);  // y_x is not read on these routes
}

namespace detail {
/// x decoded with labels y_new [n, label_width] that differ from x's predicted labels y_x in
/// column `label` at most: characteristic_latent moves only that label's dims of z_c (all of z_c
/// when it is one block) to the mean of p(z_c | y_new); the other routes intervene with y_new.
template <labelled_model M>
typename M::tensor_type write_label(M& m, const typename M::tensor_type& x, std::int64_t label,
                                    const typename M::labels_type& y_x, const typename M::labels_type& y_new,
                                    std::string_view segment) {
    if constexpr (M::structure::objective::route == label_route::characteristic_latent) {
        const latent::segment& s = m.layout()[segment];
        if (!s.per_label) return intervene(m, x, y_x, y_new, segment);
        const std::int64_t n = x.shape()[0], d = m.layout().total;
        std::vector<float> z = m.encode_mean(x, unused_labels(m, n)).template as<float>().to_vector();
        const std::vector<float> loc = m.prior_normal(segment, y_new).loc.value().template as<float>().to_vector();
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t k = label * s.dim_per_label; k < (label + 1) * s.dim_per_label; ++k)
                z[static_cast<std::size_t>(i * d + s.offset + k)] = loc[static_cast<std::size_t>(i * s.dim + k)];
        return m.decode(latent_tensor<M>(z, n, d), y_new);
    } else {
        return intervene(m, x, y_x, y_new, segment);
    }
}
/// Labels y with column `label` rewritten by `value_of(old value)`, on the model's backend.
template <labelled_model M, class Rewrite>
typename M::labels_type with_label(M& m, const typename M::labels_type& y, std::int64_t label, Rewrite&& value_of) {
    using B = typename M::var_type::backend_type;
    const std::int64_t width = m.data_layout().label_width, n = y.rows();
    LATENT_CHECK(y.shape().rank() == 2 && y.shape()[1] == width, shape_error, "labels ", y.shape(), " for a model of ", width,
                 " label columns");
    std::vector<std::int32_t> values = y.template to<cpu>().to_vector();
    for (std::int64_t i = 0; i < n; ++i) {
        std::int32_t& v = values[static_cast<std::size_t>(i * width + label)];
        v = value_of(v);
    }
    return tensor<std::int32_t, cpu>::from_host({n, width}, values).template to<B>();
}
/// The checks flip_label makes before either of its forms runs.
template <labelled_model M>
void check_flip(const M& m, std::int64_t label) {
    const std::int64_t width = m.data_layout().label_width;
    LATENT_CHECK(!m.data_layout().categorical(), config_error,
                 "flip_label: needs binary labels (a categorical label has no single other value; use intervene_label)");
    LATENT_CHECK(label >= 0 && label < width, config_error, "flip_label: label ", label, " of ", width);
}
}  // namespace detail

/// Decodes x [n, …] with label `label` set to `value` (a class for one categorical label, then
/// `label` is 0; else 0 or 1) and everything else kept: characteristic_latent moves only label
/// `label`'s dims of z_c to the mean of p(z_c^label | y_label = value); the other routes decode
/// with x's predicted labels, that one changed.
template <labelled_model M>
typename M::tensor_type intervene_label(M& m, const typename M::tensor_type& x, std::int64_t label, std::int32_t value,
                                        std::string_view segment = "c", std::int64_t samples = 100,
                                        std::uint64_t seed = 0) {
    const std::int64_t width = m.data_layout().label_width;
    const std::int64_t values = m.data_layout().categorical() ? m.label_outputs() : 2;
    LATENT_CHECK(label >= 0 && label < width && value >= 0 && value < values, config_error, "intervene_label: label ",
                 label, " of ", width, ", value ", value, " of ", values);
    const auto y_x = predict_labels(m, x, samples, seed, segment);
    return detail::write_label(m, x, label, y_x, detail::with_label(m, y_x, label, [&](std::int32_t) { return value; }),
                               segment);
}

/// Seed 002's single intervention (§D.1): x [n, …] decoded with binary label `label` flipped from
/// x's predicted labels y_x (as predict_labels gives them: pass them to measure several flips of
/// the same inputs without classifying them again), everything else kept (as intervene_label).
/// requires: binary labels (config_error for one categorical label, which has no single value
/// to flip).
template <labelled_model M>
typename M::tensor_type flip_label(M& m, const typename M::tensor_type& x, std::int64_t label,
                                   const typename M::labels_type& y_x, std::string_view segment = "c") {
    detail::check_flip(m, label);
    return detail::write_label(m, x, label, y_x, detail::with_label(m, y_x, label, [](std::int32_t v) { return 1 - v; }),
                               segment);
}

/// flip_label with x's labels predicted here (`samples`, `seed`: classify's).
template <labelled_model M>
typename M::tensor_type flip_label(M& m, const typename M::tensor_type& x, std::int64_t label,
                                   std::string_view segment = "c", std::int64_t samples = 100, std::uint64_t seed = 0) {
    detail::check_flip(m, label);
    return flip_label(m, x, label, predict_labels(m, x, samples, seed, segment), segment);
}

/// x [n, …] decoded as the interventions decode it, but with its own predicted labels y_x: the
/// posterior-mean reconstruction (characteristic_latent, which does not read y_x),
/// decode(mean q(z | x, y_x), y_x) (M2), or the mean of PoE(p(z), q(z|x), q(z|y_x)) decoded
/// (MVAE). What seed 002's confusion matrix compares each single intervention with.
template <labelled_model M>
typename M::tensor_type reconstruct_with_labels(M& m, const typename M::tensor_type& x,
                                                const typename M::labels_type& y_x, std::string_view segment = "c") {
    if constexpr (M::structure::objective::route == label_route::characteristic_latent)
        return m.reconstruct(x, detail::unused_labels(m, x.shape()[0]));
    else
        return intervene(m, x, y_x, y_x, segment);
}

/// reconstruct_with_labels with x's labels predicted here when the route reads them (`samples`,
/// `seed`: classify's).
template <labelled_model M>
typename M::tensor_type reconstruct_with_labels(M& m, const typename M::tensor_type& x, std::string_view segment = "c",
                                                std::int64_t samples = 100, std::uint64_t seed = 0) {
    if constexpr (M::structure::objective::route == label_route::characteristic_latent)
        return m.reconstruct(x, detail::unused_labels(m, x.shape()[0]));
    else
        return reconstruct_with_labels(m, x, predict_labels(m, x, samples, seed, segment), segment);
}

/// Decodes a's characteristics with b's other content, a and b [n, …], given their predicted
/// labels y_a and y_b: z_c of a with z_\c of b (characteristic_latent, which reads neither), or
/// b's latent with a's labels (decoder_input encodes b with y_b; label_expert does not read it).
template <labelled_model M>
typename M::tensor_type characteristic_swap(M& m, const typename M::tensor_type& a, const typename M::tensor_type& b,
                                            const typename M::labels_type& y_a, const typename M::labels_type& y_b,
                                            std::string_view segment = "c") {
    const std::int64_t n = a.shape()[0], d = m.layout().total;
    LATENT_CHECK(b.shape() == a.shape(), shape_error, "characteristic_swap: inputs ", a.shape(), " and ", b.shape());
    if constexpr (M::structure::objective::route == label_route::decoder_input) {
        return m.decode(m.encode_mean(b, y_b), y_a);
    } else if constexpr (M::structure::objective::route == label_route::label_expert) {
        return m.decode(detail::expert_mean(m, b, y_a), y_a);
    } else {
        const auto labels = detail::unused_labels(m, n);
        const std::vector<float> za = m.encode_mean(a, labels).template as<float>().to_vector();
        std::vector<float> z = m.encode_mean(b, labels).template as<float>().to_vector();
        const latent::segment& s = m.layout()[segment];
        std::vector<float> from_a;
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t k = 0; k < s.dim; ++k) from_a.push_back(za[static_cast<std::size_t>(i * d + s.offset + k)]);
        detail::set_segment(z, d, s, from_a, n);
        return m.decode(detail::latent_tensor<M>(z, n, d), labels);
    }
}

/// characteristic_swap with the labels predicted here where the route reads them (`samples`,
/// `seed`: classify's).
template <labelled_model M>
typename M::tensor_type characteristic_swap(M& m, const typename M::tensor_type& a, const typename M::tensor_type& b,
                                            std::string_view segment = "c", std::int64_t samples = 100,
                                            std::uint64_t seed = 0) {
    LATENT_CHECK(b.shape() == a.shape(), shape_error, "characteristic_swap: inputs ", a.shape(), " and ", b.shape());
    if constexpr (M::structure::objective::route == label_route::characteristic_latent) {
        const auto none = detail::unused_labels(m, a.shape()[0]);
        return characteristic_swap(m, a, b, none, none, segment);
    } else if constexpr (M::structure::objective::route == label_route::label_expert) {
        const auto y_a = predict_labels(m, a, samples, seed, segment);
        return characteristic_swap(m, a, b, y_a, y_a, segment);  // y_b is not read on this route
    } else {
        return characteristic_swap(m, a, b, predict_labels(m, a, samples, seed, segment),
                                   predict_labels(m, b, samples, seed, segment), segment);
    }
}

/// Decodes one input x [1, …] once per value, with dimension `dim` of z_c set to it (the rest of
/// the latent at its posterior mean): [values, …]. For binary labels dimension i is label i's.
template <characteristic_model M>
typename M::tensor_type traverse_characteristic(M& m, const typename M::tensor_type& x, std::int64_t dim,
                                                const std::vector<double>& values, std::string_view segment = "c") {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const latent::segment& s = m.layout()[segment];
    LATENT_CHECK(x.shape()[0] == 1 && dim >= 0 && dim < s.dim && !values.empty(), config_error,
                 "traverse_characteristic: one input ([1, …], got ", x.shape(), "), dimension ", dim, " of ", s.dim,
                 ", and at least one value");
    const std::int64_t d = m.layout().total, n = static_cast<std::int64_t>(values.size());
    const std::vector<float> base = m.encode_mean(x, detail::unused_labels(m, 1)).template as<float>().to_vector();
    std::vector<float> z;
    for (double v : values) {
        std::vector<float> row = base;
        row[static_cast<std::size_t>(s.offset + dim)] = static_cast<float>(v);
        z.insert(z.end(), row.begin(), row.end());
    }
    return m.decode(tensor<float, cpu>::from_host({n, d}, z).template as<T>().template to<B>(),
                    detail::unused_labels(m, n));
}

/// `count` decodes of one input x [1, …] with z_c drawn from p(z_c | y) (y [1, label_width]) and
/// z_\c at x's posterior mean, and the per-pixel variance across them [1, …] (seed 002's
/// diversity of an intervention).
template <class M>
struct diversity {
    typename M::tensor_type images;    // [count, …]
    typename M::tensor_type variance;  // [1, …]
};
template <characteristic_model M>
diversity<M> intervention_diversity(M& m, const typename M::tensor_type& x, const typename M::labels_type& y,
                                    std::int64_t count, std::uint64_t seed = 0, std::string_view segment = "c") {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    LATENT_CHECK(x.shape()[0] == 1 && y.rows() == 1 && count >= 2, config_error,
                 "intervention_diversity: one input and one label row (got ", x.shape(), ", ", y.shape(), "), count ",
                 count, " ≥ 2");
    const latent::segment& s = m.layout()[segment];
    const std::int64_t d = m.layout().total;
    const std::vector<float> base = m.encode_mean(x, detail::unused_labels(m, 1)).template as<float>().to_vector();
    const auto p = m.prior_normal(segment, y);
    generator gen(seed);
    tensor<T, B> eps({count, s.dim});
    normal_(eps, gen);
    const std::vector<float> loc = p.loc.value().template as<float>().to_vector(),
                             scale = p.scale.value().template as<float>().to_vector(),
                             e = eps.template as<float>().to_vector();
    std::vector<float> z;
    for (std::int64_t i = 0; i < count; ++i) {
        std::vector<float> row = base;
        for (std::int64_t k = 0; k < s.dim; ++k)
            row[static_cast<std::size_t>(s.offset + k)] =
                loc[static_cast<std::size_t>(k)] + scale[static_cast<std::size_t>(k)] * e[static_cast<std::size_t>(i * s.dim + k)];
        z.insert(z.end(), row.begin(), row.end());
    }
    std::vector<std::int32_t> ys;
    const auto yv = y.to_vector();
    for (std::int64_t i = 0; i < count; ++i) ys.insert(ys.end(), yv.begin(), yv.end());
    diversity<M> out;
    out.images = m.decode(tensor<float, cpu>::from_host({count, d}, z).template as<T>().template to<B>(),
                          M::labels_type::from_host({count, y.cols()}, ys));
    // Per-pixel variance over the draws, on the host (a figure, not a training step).
    const std::vector<float> img = out.images.template as<float>().to_vector();
    const std::size_t pixels = img.size() / static_cast<std::size_t>(count);
    std::vector<float> var(pixels, 0.0f);
    for (std::size_t p2 = 0; p2 < pixels; ++p2) {
        double mean = 0, sq = 0;
        for (std::int64_t i = 0; i < count; ++i) {
            const double v = img[static_cast<std::size_t>(i) * pixels + p2];
            mean += v;
            sq += v * v;
        }
        mean /= double(count);
        var[p2] = static_cast<float>(sq / double(count) - mean * mean);
    }
    std::vector<std::int64_t> dims{1};
    for (std::int64_t k = 1; k < out.images.shape().rank(); ++k) dims.push_back(out.images.shape()[static_cast<int>(k)]);
    out.variance = tensor<float, cpu>::from_host(latent::shape::from_range(dims.begin(), dims.end()), var)
                       .template as<T>()
                       .template to<B>();
    return out;
}

}  // namespace latent
