// latent/space/partition.hpp: a latent space as a compile-time list of named blocks.
//
// `partition<block<"z", 2, …>, label_blocks<"w", 2, …>>` lays its segments
// side by side in the order written. Names are checked at compile time (two
// segments with one name, or a lookup of a name that is not there, are
// compile errors with a sentence); sizes are resolved at run time
// (`layout(sizes, labels)`), because label_blocks grow with the number of
// labels and a block may be `dynamic`. Where every block before a segment has
// a fixed size, `static_offset<"name">` gives its offset at compile time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/space/block.hpp"

namespace latent {

/// One resolved segment: where it sits in the latent vector.
struct segment {
    std::string name;
    std::int64_t offset = 0;
    std::int64_t dim = 0;            // whole segment
    std::int64_t dim_per_label = 0;  // label_blocks: dims per label; block: == dim
    bool per_label = false;
};

/// The run-time layout of a partition: its segments, in order.
struct partition_layout {
    std::vector<segment> segments;
    std::int64_t total = 0;

    const segment& operator[](std::string_view name) const {
        for (const auto& s : segments)
            if (s.name == name) return s;
        throw config_error(detail::concat("latent space has no segment \"", name, "\""));
    }
    /// The position of segment `name` in partition order.
    std::size_t index_of(std::string_view name) const {
        for (std::size_t i = 0; i < segments.size(); ++i)
            if (segments[i].name == name) return i;
        throw config_error(detail::concat("latent space has no segment \"", name, "\""));
    }
    bool contains(std::string_view name) const {
        for (const auto& s : segments)
            if (s.name == name) return true;
        return false;
    }
};

namespace detail {
template <std::size_t N>
constexpr bool distinct(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i + 1; j < N; ++j)
            if (names[i] == names[j]) return false;
    return true;
}
template <std::size_t N>
constexpr std::size_t find(const std::array<std::string_view, N>& names, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == name) return i;
    return N;
}
}  // namespace detail

/// A latent space: named blocks, laid out in order.
template <latent_block... Blocks>
struct partition {
    static_assert(sizeof...(Blocks) > 0, "a latent partition needs at least one block");

    static constexpr std::size_t count = sizeof...(Blocks);
    using blocks = std::tuple<Blocks...>;
    static constexpr std::array<std::string_view, count> names{Blocks::name.view()...};
    static_assert(detail::distinct(names), "two blocks of this latent partition have the same name: give each its own");

    /// The position of the block called `Name`; a compile error if there is none.
    template <fixed_string Name>
    static constexpr std::size_t index_of() {
        constexpr std::size_t i = detail::find(names, Name.view());
        static_assert(i < count, "this latent partition has no block of that name (check the spelling)");
        return i;
    }
    template <fixed_string Name>
    using block_named = std::tuple_element_t<index_of<Name>(), blocks>;

    /// The offset of `Name` when every block before it has a fixed size and is not per label.
    template <fixed_string Name>
    static constexpr std::int64_t static_offset() {
        constexpr std::size_t i = index_of<Name>();
        constexpr std::array<std::int64_t, count> dims{(Blocks::per_label ? dynamic : Blocks::dim)...};
        std::int64_t offset = 0;
        for (std::size_t k = 0; k < i; ++k) {
            if (dims[k] == dynamic) throw "static_offset: a block before this one has a run-time size";
            offset += dims[k];
        }
        return offset;
    }

    /// Resolves every size: `sizes` gives the dynamic ones (and may override a
    /// fixed one only to the same value), `labels` is the number of labels that
    /// label_blocks repeat over.
    static partition_layout layout(const std::map<std::string, std::int64_t>& sizes, std::int64_t labels) {
        partition_layout out;
        (add<Blocks>(out, sizes, labels), ...);
        for (const auto& [name, n] : sizes)
            LATENT_CHECK(out.contains(name), config_error, "size given for \"", name,
                         "\", which is not a segment of this latent space");
        return out;
    }

private:
    template <class Block>
    static void add(partition_layout& out, const std::map<std::string, std::int64_t>& sizes, std::int64_t labels) {
        const std::string name = Block::name.str();
        std::int64_t dim = Block::dim;
        if (auto it = sizes.find(name); it != sizes.end()) {
            LATENT_CHECK(dim == dynamic || dim == it->second, config_error, "segment \"", name, "\" has fixed size ",
                         dim, " but size ", it->second, " was asked for");
            dim = it->second;
        }
        LATENT_CHECK(dim > 0, config_error, "segment \"", name, "\" has a run-time size: set it with size(\"", name,
                     "\", n)");
        if (Block::per_label)
            LATENT_CHECK(labels > 0, config_error, "segment \"", name, "\" has one block per label, but there are ",
                         labels, " labels");
        segment s{name, out.total, Block::per_label ? dim * labels : dim, dim, Block::per_label};
        out.total += s.dim;
        out.segments.push_back(std::move(s));
    }
};

}  // namespace latent
