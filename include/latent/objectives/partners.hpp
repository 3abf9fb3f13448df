// latent/objectives/partners.hpp: each example's partner in its batch, of the same label or of another.
//
// The swap model's Algorithm 1 (MODELS.md §7) works on triplets: x1, an x1' with x1's label
// and an x2 with another label. Terms draw them inside the batch: every example is an x1, and
// its partner is drawn uniformly, with the model's generator (so the draws are part of a
// checkpoint's state), among the batch's examples of the kind asked for. A partner is given as a
// one-hot selection matrix [n, n], so that selection · rows gathers the partners' rows on any
// backend and differentiably.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/objectives/term.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

enum class partner_kind {
    same_label,    // x1': another example with the same label; the example itself when it has none
    other_label,   // x2: an example with another label; any other example when there is none
};

template <scalar T, backend B>
struct partners {
    tensor<T, B> selection;   // [n, n]: row i is one-hot at i's partner
    label_batch<T, B> labels; // the partners' labels
    std::vector<std::int64_t> index;  // i's partner

    /// The partners' rows of `rows` [n, …] (any shape with n rows), differentiably.
    var<T, B> of(const var<T, B>& rows) const {
        const shape s = rows.shape();
        const var<T, B> flat = reshape(rows, {s[0], s.numel() / std::max<std::int64_t>(s[0], 1)});
        return reshape(matmul(var<T, B>(selection), flat), s);
    }
};

/// Draws one partner of `kind` for every example of the batch `f` (one uniform per example from `gen`).
template <scalar T, backend B>
partners<T, B> draw_partners(const forward_pass<T, B>& f, generator& gen, partner_kind kind) {
    const std::int64_t n = f.batch, width = f.y.raw.cols();
    tensor<T, B> u(shape{n});
    uniform_(u, gen);
    const std::vector<T> draws = u.to_vector();
    const std::vector<std::int32_t> raw = f.y.raw.to_vector();
    const auto same_label = [&](std::int64_t i, std::int64_t j) {
        for (std::int64_t c = 0; c < width; ++c)
            if (raw[static_cast<std::size_t>(i * width + c)] != raw[static_cast<std::size_t>(j * width + c)]) return false;
        return true;
    };
    partners<T, B> p;
    std::vector<T> selection(static_cast<std::size_t>(n * n), T(0));
    std::vector<std::int32_t> partner_labels(static_cast<std::size_t>(n * width));
    std::vector<std::int64_t> candidates;
    for (std::int64_t i = 0; i < n; ++i) {
        candidates.clear();
        for (std::int64_t j = 0; j < n; ++j)
            if (j != i && same_label(i, j) == (kind == partner_kind::same_label)) candidates.push_back(j);
        if (candidates.empty()) {
            if (kind == partner_kind::same_label) candidates.push_back(i);
            else
                for (std::int64_t j = 0; j < n; ++j)
                    if (j != i || n == 1) candidates.push_back(j);
        }
        const auto pick = std::min(candidates.size() - 1,
                                   static_cast<std::size_t>(static_cast<double>(draws[static_cast<std::size_t>(i)]) *
                                                            static_cast<double>(candidates.size())));
        const std::int64_t j = candidates[pick];
        p.index.push_back(j);
        selection[static_cast<std::size_t>(i * n + j)] = T(1);
        for (std::int64_t c = 0; c < width; ++c)
            partner_labels[static_cast<std::size_t>(i * width + c)] = raw[static_cast<std::size_t>(j * width + c)];
    }
    p.selection = tensor<T, B>::from_host({n, n}, selection);
    p.labels = f.labels(tensor<std::int32_t, B>::from_host({n, width}, partner_labels));
    return p;
}

}  // namespace latent
