// latent/space/block.hpp: one named segment of a latent space.
//
// A block is a segment of the latent vector with a name, a size, a prior and a
// posterior: `block<"z", 2, standard_normal, gaussian_posterior<from_x>>` is
// CSVAE's free part; `label_blocks<"w", 2, switch_prior,
// gaussian_posterior<from_x_and_y>>` is one 2-D block per label (K labels make
// a segment of 2K dims, label i owning dims [2i, 2i + 2)). A size may be
// `dynamic`, set at run time by `model_options::size("z", n)`.
#pragma once

#include <cstdint>
#include <type_traits>

#include "latent/core/fixed_string.hpp"

namespace latent {

/// A block size chosen at run time (as Eigen's Dynamic).
inline constexpr std::int64_t dynamic = -1;

/// What a block's encoder head sees: x only, or x and the labels y.
struct from_x {
    static constexpr bool sees_labels = false;
};
struct from_x_and_y {
    static constexpr bool sees_labels = true;
};

/// A latent segment of `Dim` dimensions (or `dynamic`).
template <fixed_string Name, std::int64_t Dim, class Prior, class Posterior>
struct block {
    static constexpr fixed_string name = Name;
    static constexpr std::int64_t dim = Dim;  // per block
    static constexpr bool per_label = false;
    static constexpr bool is_latent_block = true;
    using prior = Prior;
    using posterior = Posterior;
    static_assert(Dim == dynamic || Dim > 0, "a latent block needs a positive size (or `dynamic`)");
};

/// One block of `Dim` dimensions per label, stored side by side as one segment.
template <fixed_string Name, std::int64_t Dim, class Prior, class Posterior>
struct label_blocks {
    static constexpr fixed_string name = Name;
    static constexpr std::int64_t dim = Dim;  // per label
    static constexpr bool per_label = true;
    static constexpr bool is_latent_block = true;
    using prior = Prior;
    using posterior = Posterior;
    static_assert(Dim == dynamic || Dim > 0, "a latent block needs a positive size (or `dynamic`)");
};

/// A `block<…>` or `label_blocks<…>`. (Checked through a member rather than by matching the
/// templates: nvcc 13 cannot deduce a class-type template argument in a partial specialisation.)
template <class T>
concept latent_block = requires {
    requires T::is_latent_block;
};

}  // namespace latent
