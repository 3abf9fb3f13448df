// latent/io/safetensors/format.hpp: the safetensors format's types, limits and checks,
// shared by the reader and the writer (the format is described in latent/io/safetensors.hpp).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latent/core/concepts.hpp"
#include "latent/core/error.hpp"
#include "latent/core/shape.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent {

static_assert(std::endian::native == std::endian::little,
              "latent's safetensors I/O copies tensor bytes as they are; it needs a little-endian host");

/// The element types of the safetensors format that occupy whole bytes.
enum class safetensors_dtype : std::uint8_t {
    boolean,  // "BOOL"
    u8,
    i8,
    f8_e5m2,
    f8_e4m3,
    f8_e8m0,
    i16,
    u16,
    f16,
    bf16,
    i32,
    u32,
    f32,
    f64,
    i64,
    u64,
    c64,
};

/// A safetensors file's "__metadata__": string keys to string values, kept sorted.
using safetensors_metadata = std::map<std::string, std::string>;

/// The largest header a reader accepts, and a writer therefore refuses to produce.
inline constexpr std::uint64_t safetensors_max_header_bytes = 100'000'000;
/// The largest rank the reader accepts. The specification sets none; the cap keeps a hostile
/// header of one long shape array from costing 16 bytes of memory per 2 bytes of file.
inline constexpr std::size_t safetensors_max_rank = 64;

namespace detail {
struct st_dtype_info {
    safetensors_dtype dtype;
    std::string_view name;
    std::size_t size;
};
inline constexpr std::array<st_dtype_info, 17> st_dtypes{{
    {safetensors_dtype::boolean, "BOOL", 1},
    {safetensors_dtype::u8, "U8", 1},
    {safetensors_dtype::i8, "I8", 1},
    {safetensors_dtype::f8_e5m2, "F8_E5M2", 1},
    {safetensors_dtype::f8_e4m3, "F8_E4M3", 1},
    {safetensors_dtype::f8_e8m0, "F8_E8M0", 1},
    {safetensors_dtype::i16, "I16", 2},
    {safetensors_dtype::u16, "U16", 2},
    {safetensors_dtype::f16, "F16", 2},
    {safetensors_dtype::bf16, "BF16", 2},
    {safetensors_dtype::i32, "I32", 4},
    {safetensors_dtype::u32, "U32", 4},
    {safetensors_dtype::f32, "F32", 4},
    {safetensors_dtype::f64, "F64", 8},
    {safetensors_dtype::i64, "I64", 8},
    {safetensors_dtype::u64, "U64", 8},
    {safetensors_dtype::c64, "C64", 8},
}};
inline const st_dtype_info* st_find(safetensors_dtype d) {
    for (const auto& info : st_dtypes)
        if (info.dtype == d) return &info;
    return nullptr;
}
}  // namespace detail

/// The format's name of a dtype ("F32"); "?" for a value outside the enumeration.
inline std::string_view to_string(safetensors_dtype d) {
    const auto* info = detail::st_find(d);
    return info ? info->name : std::string_view("?");
}
/// Bytes per element; 0 for a value outside the enumeration.
inline std::size_t element_size(safetensors_dtype d) {
    const auto* info = detail::st_find(d);
    return info ? info->size : 0;
}
/// The dtype a name denotes, or nothing for a name this library does not know.
inline std::optional<safetensors_dtype> parse_safetensors_dtype(std::string_view name) {
    for (const auto& info : detail::st_dtypes)
        if (info.name == name) return info.dtype;
    return std::nullopt;
}

/// The dtype of a latent element type: float F32, double F64, int32 I32, uint8 U8.
template <element T>
inline constexpr safetensors_dtype safetensors_dtype_of = std::same_as<T, float>          ? safetensors_dtype::f32
                                                          : std::same_as<T, double>       ? safetensors_dtype::f64
                                                          : std::same_as<T, std::int32_t> ? safetensors_dtype::i32
                                                                                          : safetensors_dtype::u8;

/// A tensor ready to be written: its name, dtype, extents and little-endian bytes on the host.
/// requires (checked when written): data.size() == product(shape) * element_size(dtype).
struct named_tensor {
    std::string name;
    safetensors_dtype dtype = safetensors_dtype::f32;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> data;
};

/// Copies a tensor (from any backend, through tensor::to_vector) into a named_tensor.
template <element T, backend B>
named_tensor to_named_tensor(std::string name, const tensor<T, B>& t) {
    named_tensor out{std::move(name), safetensors_dtype_of<T>, {}, {}};
    for (int i = 0; i < t.rank(); ++i) out.shape.push_back(t.shape()[i]);
    const std::vector<T> host = t.to_vector();
    out.data.resize(host.size() * sizeof(T));
    if (!host.empty()) std::memcpy(out.data.data(), host.data(), out.data.size());
    return out;
}

/// One tensor listed in a file's header, after validation.
struct safetensors_entry {
    std::string name;
    safetensors_dtype dtype = safetensors_dtype::f32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;  // byte range in the data buffer
    std::uint64_t end = 0;

    /// Elements: the product of the extents (1 for a scalar, 0 for an empty tensor).
    std::uint64_t numel() const {
        std::uint64_t n = 1;
        for (auto d : shape) n *= static_cast<std::uint64_t>(d);  // validated not to overflow
        return n;
    }
    std::uint64_t bytes() const { return end - begin; }
};

namespace detail {

/// True if `s` is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
        if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
        i += len;
    }
    return true;
}

/// Elements of a tensor with extents `dims` (each >= 0), or nothing when the product of its
/// non-zero extents exceeds 2^63 - 1. Zero extents do not excuse an overflowing rest: such a
/// shape would overflow shape::numel() and any loop that multiplies extents in order.
inline std::optional<std::uint64_t> checked_numel(std::span<const std::int64_t> dims) {
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t product = 1;
    bool zero = false;
    for (auto d : dims) {
        if (d < 0) return std::nullopt;
        const auto u = static_cast<std::uint64_t>(d);
        if (u == 0) {
            zero = true;
            continue;
        }
        if (product > limit / u) return std::nullopt;
        product *= u;
    }
    return zero ? 0 : product;
}

/// Extents as "[2, 3]", for messages.
inline std::string extents(std::span<const std::int64_t> dims) {
    std::string out = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(dims[i]);
    }
    return out + "]";
}

inline void st_put_u64_le(std::uint8_t* out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t st_get_u64_le(const std::uint8_t* in) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
    return v;
}

[[noreturn]] inline void st_fail(const std::string& file, const std::string& what) {
    throw io_error(concat("safetensors '", file, "': ", what));
}

}  // namespace detail

}  // namespace latent
