// latent/models/characteristics.hpp: what a user does with a trained CCVAE (seed 002 §4–5).
//
// For models whose objective owns a classifier q(y | z_c) (ccvae_objective):
//   classify                q(y | x) by Monte Carlo over q(z_c | x)
//   intervene               decode x with z_c moved to p(z_c | y')'s mean, z_\c kept
//   characteristic_swap     z_c of one input with z_\c of another
//   traverse_characteristic decode x along one dimension of z_c
//   intervention_diversity  many z_c ~ p(z_c | y') for one x, with the per-pixel variance
// Conditional generation is the model's own generate(y). Labels are [n, label_width] as the
// dataset gives them; the encoder does not read them (q(z | x)). `Segment` names z_c ("c").
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/models/model.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

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
}  // namespace detail

/// q(y | x) for inputs x [n, …]: for one categorical label the class probabilities [n, K], for
/// binary labels P(y_i = 1) [n, L]; the mean of q(y | z_c) over `samples` draws z_c ~ q(z_c | x)
/// from a generator seeded with `seed` (the model's own generator is not moved).
template <class M>
typename M::tensor_type classify(M& m, const typename M::tensor_type& x, std::int64_t samples = 100,
                                 std::uint64_t seed = 0, std::string_view segment = "c") {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    LATENT_CHECK(samples >= 1, config_error, "classify: ", samples, " samples");
    no_grad guard;
    const std::int64_t n = x.shape()[0];
    const auto q = m.posterior_normal(x, detail::unused_labels(m, n), segment);
    generator gen(seed);
    tensor<T, B> total = tensor<T, B>::zeros({n, m.label_outputs()});
    for (std::int64_t k = 0; k < samples; ++k) {
        const var<T, B> logits = m.objective_impl().logits(q.rsample(gen));
        const var<T, B> p = m.data_layout().categorical() ? softmax_rows(logits) : sigmoid(logits);
        total = (var<T, B>(total) + p).value();
    }
    return (var<T, B>(total) * (1.0 / static_cast<double>(samples))).value();
}

/// Decodes x [n, …] with z_c set to the mean of p(z_c | y_new) and z_\c kept at its posterior
/// mean: a single (one label changed in y_new) or multiple intervention.
template <class M>
typename M::tensor_type intervene(M& m, const typename M::tensor_type& x, const typename M::labels_type& y_new,
                                  std::string_view segment = "c") {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const std::int64_t n = x.shape()[0], d = m.layout().total;
    LATENT_CHECK(y_new.rows() == n, shape_error, "intervene: ", n, " inputs but labels ", y_new.shape());
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
    return m.decode(tensor<float, cpu>::from_host({n, d}, z).template as<T>().template to<B>(), y_new);
}

/// Decodes z_c of `a` [n, …] with z_\c of `b` [n, …]: a's characteristics on b's other content.
template <class M>
typename M::tensor_type characteristic_swap(M& m, const typename M::tensor_type& a, const typename M::tensor_type& b,
                                            std::string_view segment = "c") {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    const std::int64_t n = a.shape()[0], d = m.layout().total;
    LATENT_CHECK(b.shape() == a.shape(), shape_error, "characteristic_swap: inputs ", a.shape(), " and ", b.shape());
    const auto labels = detail::unused_labels(m, n);
    const std::vector<float> za = m.encode_mean(a, labels).template as<float>().to_vector();
    std::vector<float> z = m.encode_mean(b, labels).template as<float>().to_vector();
    const latent::segment& s = m.layout()[segment];
    std::vector<float> from_a;
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t k = 0; k < s.dim; ++k) from_a.push_back(za[static_cast<std::size_t>(i * d + s.offset + k)]);
    detail::set_segment(z, d, s, from_a, n);
    return m.decode(tensor<float, cpu>::from_host({n, d}, z).template as<T>().template to<B>(), labels);
}

/// Decodes one input x [1, …] once per value, with dimension `dim` of z_c set to it (the rest of
/// the latent at its posterior mean): [values, …]. For binary labels dimension i is label i's.
template <class M>
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
template <class M>
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
