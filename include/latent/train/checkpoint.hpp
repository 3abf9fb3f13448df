// latent/train/checkpoint.hpp: training state saved to and restored from one safetensors file.
//
// The file (io/safetensors.hpp) holds, for parameters of element type T (F32 or F64):
//   "<name>"                    each parameter's value, under parameter::name(), in its shape
//   "optimizer.<name>.<k>"      the k-th tensor of its optimizer_state(), k = 0, 1, ... (decimal)
// and in "__metadata__", every value a string:
//   "optimizer.<name>.steps"    its optimizer_steps(), in decimal
//   "latent.checkpoint"         "1", the version of this layout
//   anything else               the caller's metadata (epoch, RNG offset, ...), returned by
//                               load_checkpoint as it was given to save_checkpoint
// Keys beginning "optimizer." or "latent." are reserved; a caller's metadata may not use them.
//
// Parameter names follow PyTorch's state-dict names (nn/module.hpp), so in Python
//   sd = safetensors.torch.load_file(path)
//   model.load_state_dict({k: v for k, v in sd.items() if not k.startswith("optimizer.")})
// loads the weights into a PyTorch model of the same architecture, and a state dict saved by
// PyTorch loads here with checkpoint_load_options{}.optimizer_state(false).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "latent/autograd/parameter.hpp"
#include "latent/core/error.hpp"
#include "latent/io/safetensors.hpp"

namespace latent {

/// The names a checkpoint stores things under (see the top of this file).
struct checkpoint_layout {
    static constexpr std::string_view optimizer_prefix = "optimizer.";
    static constexpr std::string_view latent_prefix = "latent.";
    static constexpr std::string_view version_key = "latent.checkpoint";
    static constexpr std::string_view version = "1";

    /// "optimizer.<parameter>.<k>": the k-th optimizer state tensor of a parameter.
    static std::string state_name(const std::string& parameter, std::size_t k) {
        return std::string(optimizer_prefix) + parameter + "." + std::to_string(k);
    }
    /// "optimizer.<parameter>.steps": the metadata key of a parameter's optimizer step count.
    static std::string steps_key(const std::string& parameter) {
        return std::string(optimizer_prefix) + parameter + ".steps";
    }
    /// True for the metadata keys the layout reserves.
    static bool reserved(std::string_view key) {
        return key.starts_with(optimizer_prefix) || key.starts_with(latent_prefix);
    }
};

/// Options of load_checkpoint, PyTorch-style: `checkpoint_load_options{}.ignore_unknown(true)`.
class checkpoint_load_options {
public:
    /// Skip tensors that belong to no given parameter instead of refusing the file (default: refuse).
    checkpoint_load_options& ignore_unknown(bool on) {
        ignore_unknown_ = on;
        return *this;
    }
    bool ignore_unknown() const { return ignore_unknown_; }

    /// Restore optimizer state and step counts (default: on). Off, only the values are loaded:
    /// optimizer entries in the file are skipped and may be absent (a plain state dict).
    checkpoint_load_options& optimizer_state(bool on) {
        optimizer_state_ = on;
        return *this;
    }
    bool optimizer_state() const { return optimizer_state_; }

private:
    bool ignore_unknown_ = false;
    bool optimizer_state_ = true;
};

namespace detail {
inline bool same_extents(const std::vector<std::int64_t>& dims, const shape& s) {
    if (dims.size() != static_cast<std::size_t>(s.rank())) return false;
    for (int i = 0; i < s.rank(); ++i)
        if (dims[static_cast<std::size_t>(i)] != s[i]) return false;
    return true;
}
}  // namespace detail

/// Saves the parameters' values, optimizer state and step counts, and `metadata`, to `path`.
///
/// requires: distinct parameter names; defined values and state tensors; no metadata key
///           beginning "optimizer." or "latent.".
/// ensures:  the file is written atomically (io/atomic_file.hpp): on any failure an io_error
///           naming the file is thrown and an older file at `path` is left as it was.
template <scalar T, backend B>
void save_checkpoint(const std::filesystem::path& path, const std::vector<parameter<T, B>*>& params,
                     const safetensors_metadata& metadata = {}) {
    const std::string file = path.string();
    const auto fail = [&](const std::string& what) {
        throw io_error(detail::concat("checkpoint '", file, "': ", what));
    };
    safetensors_metadata md;
    for (const auto& [key, value] : metadata) {
        if (checkpoint_layout::reserved(key)) fail(detail::concat("metadata key '", key, "' is reserved"));
        md.emplace(key, value);
    }
    md.emplace(checkpoint_layout::version_key, checkpoint_layout::version);

    std::vector<named_tensor> tensors;
    std::set<std::string> names;
    const auto add = [&](const std::string& name, const tensor<T, B>& t) {
        if (!t.defined()) fail(detail::concat("tensor '", name, "' is undefined"));
        if (!names.insert(name).second)
            fail(detail::concat("two tensors would be saved as '", name, "' (parameter names must be distinct)"));
        tensors.push_back(to_named_tensor(name, t));
    };
    for (const auto* p : params) {
        LATENT_CHECK(p != nullptr, config_error, "save_checkpoint: a null parameter pointer");
        add(p->name(), p->value());
        const auto& state = p->optimizer_state();
        for (std::size_t k = 0; k < state.size(); ++k) add(checkpoint_layout::state_name(p->name(), k), state[k]);
        md[checkpoint_layout::steps_key(p->name())] = std::to_string(p->optimizer_steps());
    }
    save_safetensors(path, tensors, md);
}

/// Saves only the parameters' values (and buffers), under their names: a plain state dict that
/// PyTorch's safetensors.torch.load_file reads directly (the `model.safetensors` of the examples).
/// Written atomically, as save_checkpoint.
template <scalar T, backend B>
void save_weights(const std::filesystem::path& path, const std::vector<parameter<T, B>*>& params,
                  const safetensors_metadata& metadata = {}) {
    std::vector<named_tensor> tensors;
    std::set<std::string> names;
    for (const auto* p : params) {
        LATENT_CHECK(p != nullptr, config_error, "save_weights: a null parameter pointer");
        LATENT_CHECK(names.insert(p->name()).second, io_error, "weights '", path.string(), "': two parameters are named '",
                     p->name(), "'");
        tensors.push_back(to_named_tensor(p->name(), p->value()));
    }
    save_safetensors(path, tensors, metadata);
}

/// Restores values (and, by default, optimizer state and step counts) of `params` from a file
/// that save_checkpoint wrote, and returns the caller's metadata stored with them.
///
/// requires: every parameter's value in the file under its name, with T's dtype and the
///           parameter's shape; with optimizer_state on, its step count and any state tensors
///           of dtype T (if a parameter already holds optimizer state, the file's must have as
///           many tensors of the same shapes); no other tensors unless ignore_unknown.
/// ensures:  all-or-nothing: everything is read and checked before any parameter changes, so
///           on an error (an io_error naming the file and the tensor) every parameter is as it was.
///           Values (and state, where the parameter already holds it) are copied into the
///           parameters' existing storage, so views and handles of them see the loaded values.
template <scalar T, backend B>
safetensors_metadata load_checkpoint(const std::filesystem::path& path, const std::vector<parameter<T, B>*>& params,
                                     const checkpoint_load_options& options = {}) {
    const safetensors_file file = load_safetensors(path);
    const auto fail = [&](const std::string& what) {
        throw io_error(detail::concat("checkpoint '", file.source(), "': ", what));
    };
    constexpr safetensors_dtype dtype = safetensors_dtype_of<T>;
    const auto& md = file.metadata();
    if (const auto it = md.find(std::string(checkpoint_layout::version_key));
        it != md.end() && it->second != checkpoint_layout::version)
        fail(detail::concat("layout version '", it->second, "' is not one this library reads (",
                            checkpoint_layout::version, ")"));

    struct staged {
        parameter<T, B>* target;
        tensor<T, B> value;
        std::vector<tensor<T, B>> state;
        std::int64_t steps = 0;
    };
    std::vector<staged> plan;
    plan.reserve(params.size());
    std::set<std::string> used, seen;

    const auto checked_read = [&](const std::string& name, const char* role) {
        const auto& e = file.entry(name);
        if (e.dtype != dtype)
            fail(detail::concat("tensor '", name, "' (", role, ") is ", to_string(e.dtype),
                                " in the file, the parameter holds ", to_string(dtype)));
        used.insert(name);
        return file.template read<T, B>(name);
    };

    for (auto* p : params) {
        LATENT_CHECK(p != nullptr, config_error, "load_checkpoint: a null parameter pointer");
        const std::string& name = p->name();
        LATENT_CHECK(p->value().defined(), config_error, "load_checkpoint: parameter '", name,
                     "' has no value to load into");
        if (!seen.insert(name).second) fail(detail::concat("parameter name '", name, "' is given twice"));
        if (!file.contains(name)) fail(detail::concat("tensor '", name, "' is missing"));
        const auto& e = file.entry(name);
        if (!detail::same_extents(e.shape, p->shape()))
            fail(detail::concat("tensor '", name, "' has shape ", detail::extents(e.shape),
                                " in the file, the parameter ", p->shape()));
        staged s{p, checked_read(name, "value"), {}, 0};

        std::size_t count = 0;
        while (file.contains(checkpoint_layout::state_name(name, count))) ++count;
        if (!options.optimizer_state()) {
            for (std::size_t k = 0; k < count; ++k) used.insert(checkpoint_layout::state_name(name, k));
            plan.push_back(std::move(s));
            continue;
        }
        for (std::size_t k = 0; k < count; ++k)
            s.state.push_back(checked_read(checkpoint_layout::state_name(name, k), "optimizer state"));
        const auto& held = p->optimizer_state();
        if (!held.empty()) {
            if (held.size() != count)
                fail(detail::concat("parameter '", name, "' holds ", held.size(), " optimizer state tensors, the file ",
                                    count));
            for (std::size_t k = 0; k < count; ++k)
                if (held[k].defined() && !(held[k].shape() == s.state[k].shape()))
                    fail(detail::concat("tensor '", checkpoint_layout::state_name(name, k), "' has shape ",
                                        s.state[k].shape(), " in the file, the parameter's optimizer state ",
                                        held[k].shape()));
        }

        const std::string key = checkpoint_layout::steps_key(name);
        const auto it = md.find(key);
        if (it == md.end()) fail(detail::concat("metadata '", key, "' (the step count of '", name, "') is missing"));
        const std::string& text = it->second;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), s.steps);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || s.steps < 0)
            fail(detail::concat("metadata '", key, "' is '", text, "', not a step count"));
        plan.push_back(std::move(s));
    }

    if (!options.ignore_unknown())
        for (const auto& e : file.entries())
            if (!used.contains(e.name))
                fail(detail::concat("tensor '", e.name, "' belongs to none of the ", params.size(),
                                    " parameters (checkpoint_load_options{}.ignore_unknown(true) skips such tensors)"));

    // Everything is read and checked: from here on nothing can fail.
    for (auto& s : plan) {
        s.target->value().copy_(s.value);
        if (!options.optimizer_state()) continue;
        auto& held = s.target->optimizer_state();
        if (held.size() == s.state.size()) {
            for (std::size_t k = 0; k < held.size(); ++k) {
                if (held[k].defined()) {
                    held[k].copy_(s.state[k]);
                } else {
                    held[k] = s.state[k];
                }
            }
        } else {
            held = std::move(s.state);
        }
        s.target->optimizer_steps() = s.steps;
    }

    safetensors_metadata user;
    for (const auto& [key, value] : md)
        if (!checkpoint_layout::reserved(key)) user.emplace(key, value);
    return user;
}

}  // namespace latent
