// latent/models/codes.hpp: what a user does with a latent of named codes (the swap model's z and s).
//
// For any composed model whose encoder does not read labels (the swap model's, MODELS.md §7),
// with every code at its posterior mean (s is deterministic anyway):
//   swap_grid            cell (i, j) = Dec(z of rows[i], s of columns[j]): the diagonal, where
//                        rows and columns are the same images, holds their reconstructions
//   swap_pairs           the same, pairwise: Dec(z of a[k], s of b[k])
//   interpolation_grid   s along the columns from a's to b's, z along the rows from a's to b's
//   generate_with_code   one image's `segment` with every other code drawn from its prior
//   nearest_in_segment   the training rows nearest to a query in one segment (retrieval),
//                        with code_means giving the query's codes
// Images come back in the examples' shape, [cells, …], on the model's backend.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <vector>

#include "latent/models/characteristics.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

/// Every code of x at its posterior mean, as host rows [n, total] (the query of nearest_in_segment).
template <class M>
std::vector<float> code_means(M& m, const typename M::tensor_type& x) {
    return m.encode_mean(x, detail::unused_labels(m, x.shape()[0])).template as<float>().to_vector();
}

/// Dec(every code but `segment` of rows[i], `segment` of columns[j]) for each i (major) and j:
/// [rows · columns, …].
template <class M>
typename M::tensor_type swap_grid(M& m, const typename M::tensor_type& rows, const typename M::tensor_type& columns,
                                  std::string_view segment = "s") {
    const latent::segment& s = m.layout()[segment];
    const std::int64_t r = rows.shape()[0], c = columns.shape()[0], d = m.layout().total;
    const std::vector<float> from_rows = code_means(m, rows), from_columns = code_means(m, columns);
    std::vector<float> latents;
    for (std::int64_t i = 0; i < r; ++i)
        for (std::int64_t j = 0; j < c; ++j) {
            std::vector<float> z(from_rows.begin() + i * d, from_rows.begin() + (i + 1) * d);
            for (std::int64_t k = 0; k < s.dim; ++k)
                z[static_cast<std::size_t>(s.offset + k)] = from_columns[static_cast<std::size_t>(j * d + s.offset + k)];
            latents.insert(latents.end(), z.begin(), z.end());
        }
    return m.decode(detail::latent_tensor<M>(latents, r * c, d), detail::unused_labels(m, r * c));
}

/// Dec(every code but `segment` of a[k], `segment` of b[k]) for each k: the pairwise swap of a
/// and b ([n, …] each), e.g. x1's style drawn as x2's identity: [n, …].
template <class M>
typename M::tensor_type swap_pairs(M& m, const typename M::tensor_type& a, const typename M::tensor_type& b,
                                   std::string_view segment = "s") {
    LATENT_CHECK(a.shape() == b.shape(), shape_error, "swap_pairs: inputs ", a.shape(), " and ", b.shape());
    const latent::segment& s = m.layout()[segment];
    const std::int64_t n = a.shape()[0], d = m.layout().total;
    std::vector<float> latents = code_means(m, a);
    const std::vector<float> from_b = code_means(m, b);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t k = s.offset; k < s.offset + s.dim; ++k)
            latents[static_cast<std::size_t>(i * d + k)] = from_b[static_cast<std::size_t>(i * d + k)];
    return m.decode(detail::latent_tensor<M>(latents, n, d), detail::unused_labels(m, n));
}

/// `steps` × `steps` decodes between two inputs a and b ([1, …] each): cell (i, j) has every code
/// but `segment` at a + i/(steps−1)·(b − a) and `segment` at a + j/(steps−1)·(b − a), so that the
/// columns move the specified code and the rows the rest: [steps², …].
template <class M>
typename M::tensor_type interpolation_grid(M& m, const typename M::tensor_type& a, const typename M::tensor_type& b,
                                           std::int64_t steps, std::string_view segment = "s") {
    LATENT_CHECK(steps >= 2 && a.shape()[0] == 1 && b.shape()[0] == 1, config_error, "interpolation_grid: ", steps,
                 " steps (at least 2) between inputs ", a.shape(), " and ", b.shape(), " (one each)");
    const latent::segment& s = m.layout()[segment];
    const std::int64_t d = m.layout().total;
    const std::vector<float> za = code_means(m, a), zb = code_means(m, b);
    const auto at = [&](std::int64_t k, double t) {
        return static_cast<float>(za[static_cast<std::size_t>(k)] +
                                  t * (zb[static_cast<std::size_t>(k)] - za[static_cast<std::size_t>(k)]));
    };
    std::vector<float> latents;
    for (std::int64_t i = 0; i < steps; ++i)
        for (std::int64_t j = 0; j < steps; ++j) {
            const double row = double(i) / double(steps - 1), column = double(j) / double(steps - 1);
            for (std::int64_t k = 0; k < d; ++k)
                latents.push_back(at(k, k >= s.offset && k < s.offset + s.dim ? column : row));
        }
    return m.decode(detail::latent_tensor<M>(latents, steps * steps, d), detail::unused_labels(m, steps * steps));
}

/// `count` decodes with `segment` taken from x ([1, …]) and every other code drawn from N(0, I)
/// (the swap model's p(z)) with a generator seeded with `seed`: conditional generation from an
/// image's specified code. [count, …].
template <class M>
typename M::tensor_type generate_with_code(M& m, const typename M::tensor_type& x, std::int64_t count,
                                           std::string_view segment = "s", std::uint64_t seed = 0) {
    LATENT_CHECK(count >= 1 && x.shape()[0] == 1, config_error, "generate_with_code: ", count,
                 " images from inputs ", x.shape(), " (one input)");
    const latent::segment& s = m.layout()[segment];
    const std::int64_t d = m.layout().total;
    const std::vector<float> code = code_means(m, x);
    tensor<float, cpu> noise({count, d});
    generator gen(seed);
    normal_(noise, gen);
    std::vector<float> latents = noise.to_vector();
    for (std::int64_t i = 0; i < count; ++i)
        for (std::int64_t k = s.offset; k < s.offset + s.dim; ++k)
            latents[static_cast<std::size_t>(i * d + k)] = code[static_cast<std::size_t>(k)];
    return m.decode(detail::latent_tensor<M>(latents, count, d), detail::unused_labels(m, count));
}

/// The `k` rows of `latents` ([n, total] on the host, e.g. encode_dataset's) nearest to `query`
/// ([total]) in Euclidean distance over `segment`'s dims, nearest first.
inline std::vector<std::int64_t> nearest_in_segment(const tensor<float, cpu>& latents, const std::vector<float>& query,
                                                    const segment& s, std::int64_t k) {
    const std::int64_t n = latents.shape()[0], d = latents.shape()[1];
    LATENT_CHECK(static_cast<std::int64_t>(query.size()) == d && k >= 1, shape_error, "nearest_in_segment: a query of ",
                 query.size(), " values for latents ", latents.shape(), ", k = ", k);
    const std::vector<float> rows = latents.to_vector();
    std::vector<double> distance(static_cast<std::size_t>(n), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = s.offset; j < s.offset + s.dim; ++j) {
            const double e = double(rows[static_cast<std::size_t>(i * d + j)]) - double(query[static_cast<std::size_t>(j)]);
            distance[static_cast<std::size_t>(i)] += e * e;
        }
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    const auto kept = static_cast<std::ptrdiff_t>(std::min(k, n));
    std::partial_sort(order.begin(), order.begin() + kept, order.end(), [&](std::int64_t a, std::int64_t b) {
        return distance[static_cast<std::size_t>(a)] < distance[static_cast<std::size_t>(b)] ||
               (distance[static_cast<std::size_t>(a)] == distance[static_cast<std::size_t>(b)] && a < b);
    });
    order.resize(static_cast<std::size_t>(kept));
    return order;
}

}  // namespace latent
