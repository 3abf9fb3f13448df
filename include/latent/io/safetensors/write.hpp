// latent/io/safetensors/write.hpp: encoding tensors as a safetensors file, deterministically and atomically.
#pragma once

#include "latent/io/atomic_file.hpp"
#include "latent/io/safetensors/format.hpp"

namespace latent {

namespace detail {

/// A validated plan for writing: the padded header and the order of the tensors' data.
struct st_plan {
    std::string header;              // JSON plus padding, a multiple of 8 bytes
    std::vector<std::size_t> order;  // indices into the tensors, in file order
};


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

}  // namespace latent
