// latent/io/safetensors/read.hpp: opening and validating a safetensors file, and reading its tensors.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "latent/io/safetensors/format.hpp"

namespace latent {

namespace detail {

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
