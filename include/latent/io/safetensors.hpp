// latent/io/safetensors.hpp: tensors to and from safetensors files, the format of
// Hugging Face's `safetensors` library (https://github.com/huggingface/safetensors).
//
// The format:
//   8 bytes   N: the header's length, an unsigned 64-bit little-endian integer
//   N bytes   the header: UTF-8 JSON, an object that begins with '{' and may be padded at
//             the end with spaces. It maps each tensor's name to
//               {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
//             and the optional key "__metadata__" to an object of string -> string.
//   the rest  the byte buffer: each tensor's elements, row-major, little-endian, in bytes
//             [begin, end) counted from the buffer's first byte.
//
// What the reader enforces, every check before any tensor data is read, each failure an
// io_error that names the file and, where there is one, the tensor:
//   - the file holds at least the 8 length bytes; N <= 100,000,000 (the reference
//     implementation's limit) and N <= file size - 8;
//   - the header is valid UTF-8, begins with '{', parses as one JSON object (no comments,
//     nothing after it but whitespace), contains no duplicate key at any level and nests no
//     deeper than the format needs;
//   - "__metadata__", if present, is an object whose values are all strings;
//   - every other key is a tensor whose value has exactly the fields dtype (a known dtype
//     name), shape (an array of at most 64 integers in [0, 2^63): a cap of ours, the
//     specification sets no rank limit) and data_offsets (two unsigned
//     integers, begin <= end <= buffer size); the product of its extents times the dtype's
//     size, computed without overflow, equals end - begin;
//   - the byte ranges, ordered by offset, tile the whole buffer: the first begins at 0, each
//     begins where the previous ended, the last ends at the end of the file. No holes, no
//     overlaps, no trailing bytes (the specification's rule against polyglot files).
// Empty tensors (an extent of 0, begin == end) and rank-0 scalars (shape []) are valid.
// Sub-byte dtypes (F4, F6_*) are refused as unsupported.
//
// What the writer produces, deterministically (same tensors and metadata, same bytes):
//   - tensors ordered by element size, largest first, then by name (bytewise); with the
//     header padded to a multiple of 8 this puts every tensor at an offset that is a
//     multiple of its element size, so a reader may map the data in place;
//   - compact JSON (no spaces): "__metadata__" first, its keys sorted, left out when the
//     metadata is empty; then the tensors in the order above, each as
//     {"dtype":..,"shape":[..],"data_offsets":[..]};
//   - the header padded with spaces (0x20) to a multiple of 8 bytes;
//   - written atomically (io/atomic_file.hpp): a failure leaves any old file intact.
// tests/reference/safetensors_fixture.py writes the same bytes from the specification alone.
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

/// A validated plan for writing: the padded header and the order of the tensors' data.
struct st_plan {
    std::string header;              // JSON plus padding, a multiple of 8 bytes
    std::vector<std::size_t> order;  // indices into the tensors, in file order
};

[[noreturn]] inline void st_fail(const std::string& file, const std::string& what) {
    throw io_error(concat("safetensors '", file, "': ", what));
}

inline st_plan st_make_plan(std::span<const named_tensor> tensors, const safetensors_metadata& metadata,
                            const std::string& file) {
    const auto fail = [&](const std::string& what) { st_fail(file, what); };
    for (const auto& [key, value] : metadata)
        if (!valid_utf8(key) || !valid_utf8(value)) fail(concat("metadata key '", key, "': not valid UTF-8"));

    for (const auto& t : tensors) {
        const auto tensor_fail = [&](const std::string& what) { fail(concat("tensor '", t.name, "': ", what)); };
        if (!valid_utf8(t.name)) tensor_fail("name is not valid UTF-8");
        if (t.name == "__metadata__") tensor_fail("the name is reserved for the metadata");
        if (!st_find(t.dtype)) tensor_fail(concat("unknown dtype ", static_cast<int>(t.dtype)));
        const auto numel = checked_numel(t.shape);
        if (!numel) tensor_fail("negative extent or too many elements in the shape");
        const std::uint64_t size = element_size(t.dtype);
        if (*numel > std::numeric_limits<std::uint64_t>::max() / size || *numel * size != t.data.size())
            tensor_fail(concat(t.data.size(), " bytes of data for ", *numel, " elements of ", to_string(t.dtype)));
    }

    st_plan plan;
    plan.order.resize(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) plan.order[i] = i;
    std::sort(plan.order.begin(), plan.order.end(), [&](std::size_t a, std::size_t b) {
        const std::size_t sa = element_size(tensors[a].dtype), sb = element_size(tensors[b].dtype);
        if (sa != sb) return sa > sb;
        return tensors[a].name < tensors[b].name;  // char_traits<char> compares bytes as unsigned
    });
    std::set<std::string_view> seen;
    for (const auto& t : tensors)
        if (!seen.insert(t.name).second) fail(concat("tensor '", t.name, "': the name occurs twice"));

    // The JSON is assembled by hand, nlohmann only quoting strings: nlohmann's ordered_json
    // inserts by linear search, which is quadratic in the number of tensors.
    const auto quoted = [&](const std::string& text) {
        try {
            return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
        } catch (const nlohmann::json::exception& e) {
            st_fail(file, concat("cannot encode '", text, "' in the header: ", e.what()));
        }
    };
    std::string& h = plan.header;
    h = "{";
    if (!metadata.empty()) {
        h += "\"__metadata__\":{";
        bool first = true;
        for (const auto& [key, value] : metadata) {
            if (!first) h += ',';
            h += quoted(key);
            h += ':';
            h += quoted(value);
            first = false;
        }
        h += "}";
    }
    std::uint64_t offset = 0;
    for (std::size_t i : plan.order) {
        const auto& t = tensors[i];
        if (h.size() > 1) h += ',';
        h += quoted(t.name);
        h += ":{\"dtype\":\"";
        h += to_string(t.dtype);
        h += "\",\"shape\":[";
        for (std::size_t k = 0; k < t.shape.size(); ++k) {
            if (k) h += ',';
            h += std::to_string(t.shape[k]);
        }
        h += "],\"data_offsets\":[";
        h += std::to_string(offset);
        h += ',';
        h += std::to_string(offset + t.data.size());
        h += "]}";
        offset += t.data.size();
    }
    h += "}";
    plan.header.append((8 - plan.header.size() % 8) % 8, ' ');
    if (plan.header.size() > safetensors_max_header_bytes)
        fail(concat("header of ", plan.header.size(), " bytes exceeds the format's limit of ",
                    safetensors_max_header_bytes));
    return plan;
}

/// Sends the file's bytes to `sink(const void*, std::size_t)`, in order.
template <class Sink>
void st_emit(const st_plan& plan, std::span<const named_tensor> tensors, Sink&& sink) {
    std::uint8_t length[8];
    st_put_u64_le(length, plan.header.size());
    sink(length, sizeof length);
    sink(plan.header.data(), plan.header.size());
    for (std::size_t i : plan.order)
        if (!tensors[i].data.empty()) sink(tensors[i].data.data(), tensors[i].data.size());
}

/// An open file descriptor, closed on destruction; move-only.
class st_fd {
public:
    st_fd() = default;
    explicit st_fd(int fd) : fd_(fd) {}
    st_fd(st_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    st_fd& operator=(st_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    st_fd(const st_fd&) = delete;
    st_fd& operator=(const st_fd&) = delete;
    ~st_fd() { reset(); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int get() const { return fd_; }

private:
    int fd_ = -1;
};

}  // namespace detail

/// Encodes tensors and metadata as the bytes of a safetensors file (the layout above).
/// Throws io_error, naming the tensor, for duplicate or reserved names, invalid UTF-8, or
/// data whose size does not match its shape and dtype.
inline std::vector<std::uint8_t> serialize_safetensors(std::span<const named_tensor> tensors,
                                                       const safetensors_metadata& metadata = {}) {
    const auto plan = detail::st_make_plan(tensors, metadata, "<memory>");
    std::vector<std::uint8_t> out;
    detail::st_emit(plan, tensors, [&](const void* p, std::size_t n) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        out.insert(out.end(), b, b + n);
    });
    return out;
}

/// Writes tensors and metadata to `path` as a safetensors file, atomically: everything is
/// validated first, then written to a temporary beside `path`, synced and renamed over it.
/// Throws io_error naming the file (and the tensor, for a bad tensor); the old file, if any,
/// is then intact and no temporary is left.
inline void save_safetensors(const std::filesystem::path& path, std::span<const named_tensor> tensors,
                             const safetensors_metadata& metadata = {}) {
    const auto plan = detail::st_make_plan(tensors, metadata, path.string());
    write_file_atomically(path, [&](atomic_file_writer& out) {
        detail::st_emit(plan, tensors, [&](const void* p, std::size_t n) { out.write(p, n); });
    });
}

/// A validated safetensors file: its tensor list and metadata, and the tensors' data on demand.
///
/// open() reads and validates only the header (see the top of this file); each tensor's data
/// is read when asked for, through the descriptor opened then, so a later atomic replacement of
/// the file does not mix two versions. from_bytes() does the same on bytes in memory.
/// Move-only. Every error is an io_error naming the file and, where there is one, the tensor.
class safetensors_file {
public:
    /// Opens and validates `path`.
    static safetensors_file open(const std::filesystem::path& path) {
        safetensors_file f;
        f.source_ = path.string();
        // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) f.fail(detail::concat("cannot open: ", detail::errno_text(errno)));
        f.fd_ = detail::st_fd(fd);
        struct ::stat st {};
        if (::fstat(fd, &st) != 0) f.fail(detail::concat("cannot stat: ", detail::errno_text(errno)));
        if (!S_ISREG(st.st_mode)) f.fail("not a regular file");
        f.init(static_cast<std::uint64_t>(st.st_size));
        return f;
    }

    /// Validates a whole file held in memory; `label` stands for the file name in messages.
    static safetensors_file from_bytes(std::vector<std::uint8_t> bytes, std::string label = "<memory>") {
        safetensors_file f;
        f.source_ = std::move(label);
        f.bytes_ = std::move(bytes);
        f.init(f.bytes_.size());
        return f;
    }

    safetensors_file(safetensors_file&&) noexcept = default;
    safetensors_file& operator=(safetensors_file&&) noexcept = default;

    /// The file name (or label) that messages use.
    const std::string& source() const { return source_; }
    const safetensors_metadata& metadata() const { return metadata_; }
    /// Every tensor, sorted by name.
    const std::vector<safetensors_entry>& entries() const { return entries_; }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        out.reserve(entries_.size());
        for (const auto& e : entries_) out.push_back(e.name);
        return out;
    }
    std::size_t size() const { return entries_.size(); }
    bool contains(std::string_view name) const { return find(name) != nullptr; }

    /// The header entry of tensor `name`; io_error if there is none.
    const safetensors_entry& entry(std::string_view name) const {
        const auto* e = find(name);
        if (!e) fail(detail::concat("no tensor '", name, "'"));
        return *e;
    }

    /// The raw little-endian bytes of tensor `name`.
    std::vector<std::uint8_t> read_bytes(std::string_view name) const {
        const auto& e = entry(name);
        std::vector<std::uint8_t> out(static_cast<std::size_t>(e.bytes()));
        read_range(data_start_ + e.begin, out.size(), out.data(), detail::concat("tensor '", e.name, "'"));
        return out;
    }

    /// Tensor `name` as a tensor<T, B>.
    /// requires: its dtype is T's (F32 float, F64 double, I32 int32, U8 uint8) and its rank <= 4;
    ///           otherwise io_error naming the tensor. No conversion is ever made.
    template <element T, backend B = cpu>
    tensor<T, B> read(std::string_view name) const {
        const auto& e = entry(name);
        if (e.dtype != safetensors_dtype_of<T>)
            fail(detail::concat("tensor '", e.name, "' holds ", to_string(e.dtype), ", not ",
                                to_string(safetensors_dtype_of<T>)));
        if (e.shape.size() > static_cast<std::size_t>(shape::max_rank))
            fail(detail::concat("tensor '", e.name, "' has rank ", e.shape.size(), "; latent tensors have at most ",
                                shape::max_rank));
        const latent::shape s = latent::shape::from_range(e.shape.begin(), e.shape.end());
        std::vector<T> host(static_cast<std::size_t>(e.numel()));
        read_range(data_start_ + e.begin, host.size() * sizeof(T), host.data(),
                   detail::concat("tensor '", e.name, "'"));
        return tensor<T, B>::from_host(s, host);
    }

private:
    safetensors_file() = default;

    [[noreturn]] void fail(const std::string& what) const {
        throw io_error(detail::concat("safetensors '", source_, "': ", what));
    }

    const safetensors_entry* find(std::string_view name) const {
        const auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                                         [](const safetensors_entry& e, std::string_view n) { return e.name < n; });
        return it != entries_.end() && it->name == name ? &*it : nullptr;
    }

    /// Copies `n` bytes at file offset `offset` into `dst`; io_error if the file ends first.
    void read_range(std::uint64_t offset, std::size_t n, void* dst, std::string_view what) const {
        if (n == 0) return;
        if (fd_.get() < 0) {
            if (offset > bytes_.size() || n > bytes_.size() - offset)
                fail(detail::concat(what, ": bytes ", offset, "+", n, " lie beyond the end of the data"));
            std::memcpy(dst, bytes_.data() + offset, n);
            return;
        }
        auto* p = static_cast<char*>(dst);
        while (n > 0) {
            const ::ssize_t got = ::pread(fd_.get(), p, n, static_cast<::off_t>(offset));
            if (got < 0) {
                if (errno == EINTR) continue;
                fail(detail::concat(what, ": read failed: ", detail::errno_text(errno)));
            }
            if (got == 0) fail(detail::concat(what, ": the file ended early (was it truncated while open?)"));
            p += got;
            n -= static_cast<std::size_t>(got);
            offset += static_cast<std::uint64_t>(got);
        }
    }

    void init(std::uint64_t file_size) {
        if (file_size < 8)
            fail(detail::concat("file of ", file_size, " bytes is too short for the 8-byte header length"));
        std::uint8_t length[8];
        read_range(0, 8, length, "header length");
        const std::uint64_t n = detail::st_get_u64_le(length);
        if (n > safetensors_max_header_bytes)
            fail(detail::concat("header length ", n, " exceeds the format's limit of ", safetensors_max_header_bytes));
        if (n > file_size - 8)
            fail(detail::concat("header length ", n, " exceeds the ", file_size - 8, " bytes after it"));
        std::string header(static_cast<std::size_t>(n), '\0');
        read_range(8, header.size(), header.data(), "header");
        data_start_ = 8 + n;
        parse_header(header, file_size - 8 - n);
    }

    // The header is read with nlohmann's SAX interface into entries_ and metadata_ directly:
    // no DOM, so memory stays proportional to the tensors listed, and each event is checked
    // against the schema as it arrives, so a hostile header is refused at its first wrong
    // token (nesting, a long array, a wrong type) before anything is stored for it.
    // (The DOM parser with a callback, the other way to see duplicate keys, scans the whole
    // parent object at each object's end: quadratic in the number of tensors.)
    class header_reader final : public nlohmann::json_sax<nlohmann::json> {
    public:
        header_reader(safetensors_file& f, std::uint64_t buffer_bytes) : f_(f), buffer_bytes_(buffer_bytes) {}

        bool null() override { return wrong("null"); }
        bool boolean(bool) override { return wrong("a boolean"); }
        bool number_integer(number_integer_t) override { return wrong("a negative integer"); }
        bool number_float(number_float_t, const string_t&) override {
            return wrong("a number with a fraction, an exponent or beyond 2^64");
        }
        bool binary(binary_t&) override { return wrong("binary data"); }

        bool number_unsigned(number_unsigned_t v) override {
            if (at_ == place::shape) {
                if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                    bad("shape holds an extent above 2^63 - 1");
                if (entry_.shape.size() == safetensors_max_rank)
                    bad(detail::concat("shape has more than ", safetensors_max_rank,
                                       " extents, the most this reader takes"));
                entry_.shape.push_back(static_cast<std::int64_t>(v));
                return true;
            }
            if (at_ == place::offsets) {
                if (offsets_ == 2) bad("data_offsets holds more than two numbers");
                (offsets_++ == 0 ? entry_.begin : entry_.end) = v;
                return true;
            }
            return wrong("a number");
        }

        bool string(string_t& v) override {
            if (at_ == place::metadata) {
                if (!f_.metadata_.emplace(key_, v).second)
                    f_.fail(detail::concat("__metadata__ has the key '", key_, "' twice"));
                return true;
            }
            if (at_ == place::entry && field_ == "dtype") {
                const auto dtype = parse_safetensors_dtype(v);
                if (!dtype) bad(detail::concat("unknown or unsupported dtype '", v, "'"));
                entry_.dtype = *dtype;
                return true;
            }
            return wrong("a string");
        }

        bool start_object(std::size_t) override {
            if (at_ == place::top) {
                at_ = place::root;
                return true;
            }
            if (at_ == place::root) {
                if (key_ == "__metadata__") {
                    if (seen_metadata_) f_.fail("header has the key '__metadata__' twice");
                    seen_metadata_ = true;
                    at_ = place::metadata;
                } else {
                    entry_ = safetensors_entry{};
                    entry_.name = key_;
                    has_dtype_ = has_shape_ = has_offsets_ = false;
                    at_ = place::entry;
                }
                return true;
            }
            return wrong("an object");
        }

        bool key(string_t& k) override {
            if (at_ == place::entry) {
                bool* seen = k == "dtype"          ? &has_dtype_
                             : k == "shape"        ? &has_shape_
                             : k == "data_offsets" ? &has_offsets_
                                                   : nullptr;
                if (!seen)
                    bad(detail::concat("unexpected field '", k,
                                       "'; an entry has exactly dtype, shape and data_offsets"));
                if (*seen) bad(detail::concat("the field '", k, "' twice"));
                *seen = true;
                field_ = k;
            } else {
                key_ = k;  // a tensor name (root) or a metadata key
            }
            return true;
        }

        bool end_object() override {
            if (at_ == place::metadata) {
                at_ = place::root;
            } else if (at_ == place::entry) {
                if (!has_dtype_ || !has_shape_ || !has_offsets_)
                    bad("entry must have exactly the fields dtype, shape and data_offsets");
                finish_entry();
                at_ = place::root;
            } else {
                at_ = place::done;
            }
            return true;
        }

        bool start_array(std::size_t) override {
            if (at_ == place::entry && field_ == "shape") {
                at_ = place::shape;
                return true;
            }
            if (at_ == place::entry && field_ == "data_offsets") {
                at_ = place::offsets;
                offsets_ = 0;
                return true;
            }
            return wrong("an array");
        }

        bool end_array() override {
            if (at_ == place::offsets && offsets_ != 2) bad("data_offsets holds fewer than two numbers");
            at_ = place::entry;
            return true;
        }

        bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
            f_.fail(detail::concat("header is not valid JSON: ", e.what()));
        }

    private:
        enum class place { top, root, metadata, entry, shape, offsets, done };

        [[noreturn]] void bad(const std::string& what) const {
            f_.fail(detail::concat("tensor '", entry_.name, "': ", what));
        }
        /// A token the schema has no room for where it stands: says what was expected there.
        [[noreturn]] bool wrong(const char* what) const {
            switch (at_) {
                case place::root:
                    if (key_ == "__metadata__") f_.fail(detail::concat("__metadata__ is ", what, ", not an object"));
                    f_.fail(detail::concat("tensor '", key_, "': entry is ", what, ", not an object"));
                case place::metadata:
                    f_.fail(detail::concat("__metadata__ value of '", key_, "' is ", what, ", not a string"));
                case place::entry:
                    bad(detail::concat(field_, " is ", what, field_ == "dtype" ? ", not a string" : ", not an array"));
                case place::shape:
                    bad(detail::concat("shape holds ", what, ", not an integer in [0, 2^63)"));
                case place::offsets:
                    bad(detail::concat("data_offsets holds ", what, ", not an unsigned integer"));
                default:
                    f_.fail(detail::concat("header is ", what, ", not a JSON object"));
            }
        }

        void finish_entry() {
            const std::uint64_t begin = entry_.begin, end = entry_.end;
            if (begin > end || end > buffer_bytes_)
                bad(detail::concat("data_offsets [", begin, ", ", end, "] is not a range within the ", buffer_bytes_,
                                   "-byte data buffer"));
            const auto numel = detail::checked_numel(entry_.shape);
            const std::uint64_t size = element_size(entry_.dtype);
            if (!numel || *numel > std::numeric_limits<std::uint64_t>::max() / size)
                bad(detail::concat("shape ", detail::extents(entry_.shape), " has too many elements"));
            if (*numel * size != end - begin)
                bad(detail::concat("shape ", detail::extents(entry_.shape), " of ", to_string(entry_.dtype), " needs ",
                                   *numel * size, " bytes, data_offsets [", begin, ", ", end, "] hold ", end - begin));
            f_.entries_.push_back(std::move(entry_));
        }

        safetensors_file& f_;
        std::uint64_t buffer_bytes_;
        place at_ = place::top;
        std::string key_;    // the tensor name or metadata key being read
        std::string field_;  // the entry field being read
        safetensors_entry entry_;
        bool has_dtype_ = false, has_shape_ = false, has_offsets_ = false, seen_metadata_ = false;
        int offsets_ = 0;
    };

    void parse_header(std::string_view text, std::uint64_t buffer_bytes) {
        if (text.empty() || text.front() != '{') fail("header does not begin with '{'");
        if (!detail::valid_utf8(text)) fail("header is not valid UTF-8");
        header_reader reader(*this, buffer_bytes);
        // strict: nothing but whitespace may follow the object; no comments
        if (!nlohmann::json::sax_parse(text.begin(), text.end(), &reader, nlohmann::json::input_format_t::json,
                                       /*strict=*/true, /*ignore_comments=*/false))
            fail("header is not valid JSON");

        std::sort(entries_.begin(), entries_.end(),
                  [](const safetensors_entry& a, const safetensors_entry& b) { return a.name < b.name; });
        for (std::size_t i = 1; i < entries_.size(); ++i)
            if (entries_[i].name == entries_[i - 1].name)
                fail(detail::concat("header has the key '", entries_[i].name, "' twice"));

        // The ranges must tile [0, buffer_bytes) exactly. Empty tensors may sit anywhere on the way.
        std::vector<const safetensors_entry*> by_offset;
        by_offset.reserve(entries_.size());
        for (const auto& e : entries_) by_offset.push_back(&e);
        std::sort(by_offset.begin(), by_offset.end(), [](const safetensors_entry* a, const safetensors_entry* b) {
            return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
        });
        std::uint64_t covered = 0;
        for (const auto* e : by_offset) {
            if (e->begin > covered)
                fail(detail::concat("tensor '", e->name, "': data begins at ", e->begin, " but bytes ", covered,
                                    " onwards belong to no tensor (a hole)"));
            if (e->begin < covered)
                fail(detail::concat("tensor '", e->name, "': data [", e->begin, ", ", e->end,
                                    ") overlaps the tensor before it, which ends at ", covered));
            covered = e->end;
        }
        if (covered != buffer_bytes)
            fail(detail::concat("the tensors cover ", covered, " bytes of the ", buffer_bytes,
                                "-byte data buffer; the rest belongs to no tensor"));
    }

    std::string source_;
    detail::st_fd fd_;                 // the open file, or -1 for bytes in memory
    std::vector<std::uint8_t> bytes_;  // the whole file, for from_bytes
    std::uint64_t data_start_ = 0;     // 8 + N
    safetensors_metadata metadata_;
    std::vector<safetensors_entry> entries_;  // sorted by name
};

/// Opens and validates a safetensors file; see safetensors_file.
inline safetensors_file load_safetensors(const std::filesystem::path& path) { return safetensors_file::open(path); }

}  // namespace latent
