// latent/autograd/tape.hpp: define-by-run reverse mode.
//
// Every op on vars that need a gradient appends one entry to this thread's
// tape: its output slot, its input slots and a backward closure. Recording
// order is a topological order, so backward walks the entries in reverse,
// skipping those that received no gradient. Parameter leaves accumulate into
// the parameter's own gradient (+=, until zero_grad), as in PyTorch.
//
// The tape's vectors keep their capacity when cleared, and closures live in
// place, so a training step in steady state allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "latent/autograd/detail/inline_function.hpp"
#include "latent/autograd/grad_mode.hpp"
#include "latent/autograd/parameter.hpp"
#include "latent/autograd/var.hpp"

namespace latent {

/// Bytes a backward closure may capture (about four tensors and some sizes).
inline constexpr std::size_t tape_closure_capacity = 320;
/// Inputs an op may have on the tape.
inline constexpr int max_op_inputs = 8;

struct backward_options {
    /// Keep the graph so that another backward can run over it (two losses, two optimizers).
    bool retain_graph = false;
};

template <scalar T, backend B>
class tape {
public:
    using tensor_type = tensor<T, B>;
    using var_type = var<T, B>;

    /// Where a backward closure sends the gradients of its op's inputs.
    class input_grads {
    public:
        /// True when input k needs a gradient; closures skip the work otherwise.
        bool needs(int k) const { return ids_[k] >= 0; }
        /// Adds g to input k's gradient. Pass by move on last use: a sole owner is taken without a copy.
        void add(int k, tensor_type g) {
            if (needs(k)) tape_.accumulate(ids_[k], std::move(g), op_);
        }

    private:
        friend class tape;
        input_grads(tape& t, const std::array<int, max_op_inputs>& ids, const char* op) : tape_(t), ids_(ids), op_(op) {}
        tape& tape_;
        const std::array<int, max_op_inputs>& ids_;
        const char* op_;
    };

    using backward_fn = detail::inline_function<void(tensor_type& grad_out, input_grads& inputs), tape_closure_capacity>;

    /// This thread's tape for (T, B).
    static tape& current() {
        thread_local tape the_tape;
        return the_tape;
    }

    std::uint64_t generation() const { return detail::tape_generation<T, B>; }
    std::size_t size() const { return entries_.size(); }

    /// Records an op: `out` was computed from `inputs`; `backward(grad_out, input_grads)`
    /// sends the gradient on. Returns `out` as a var (a constant if nothing needs a gradient).
    template <class F>
    var_type record(const char* op, tensor_type out, std::initializer_list<const var_type*> inputs, F&& backward) {
        if (debug::checking_finite())
            LATENT_CHECK(all_finite(out), numeric_error, "op ", op, " produced NaN or infinity (output ", out.shape(), ")");
        if (!grad_enabled()) return var_type(std::move(out));
        LATENT_CHECK(inputs.size() <= static_cast<std::size_t>(max_op_inputs), error, "op ", op, ": more than ",
                     max_op_inputs, " inputs");
        std::array<int, max_op_inputs> ids;
        ids.fill(-1);
        bool any = false;
        int k = 0;
        for (const var_type* in : inputs) {
            if (in->requires_grad()) {
                ids[k] = in->id_;
                any = true;
            }
            ++k;
        }
        if (!any) return var_type(std::move(out));
        const int id = new_slot(nullptr, out.shape());
        producer_[id] = static_cast<int>(entries_.size());
        entries_.push_back(entry{op, id, ids, backward_fn(std::forward<F>(backward))});
        return var_type(std::move(out), id, generation());
    }

    /// Registers a parameter as a leaf (once per generation) and returns its var.
    var_type leaf(const parameter<T, B>& p) {
        if (!p.trainable_ || !grad_enabled()) return var_type(p.value_);
        if (p.generation_ != generation() || p.id_ < 0) {
            p.id_ = new_slot(const_cast<parameter<T, B>*>(&p), p.value_.shape());
            p.generation_ = generation();
        }
        return var_type(p.value_, p.id_, generation());
    }

    /// Sends d(root)/d(·) back through the graph into every parameter it depends on.
    /// `root` must hold one element (a loss); a weighted sum of losses is one root.
    void backward(const var_type& root, backward_options options = {}) {
        LATENT_CHECK(root.numel() == 1, shape_error, "backward: the root must hold one element, not ", root.shape(),
                     "; reduce it first (sum, mean)");
        run(root, tensor_type::ones(root.shape()), options);
    }
    /// Backward from a non-scalar root with the given gradient of the root.
    void backward(const var_type& root, tensor_type root_grad, backward_options options = {}) {
        LATENT_CHECK(root_grad.shape() == root.shape(), shape_error, "backward: root gradient ", root_grad.shape(),
                     " for root ", root.shape());
        run(root, std::move(root_grad), options);
    }

    /// Drops the recorded graph; vars and parameter leaves from before become constants.
    void clear() {
        entries_.clear();
        grads_.clear();
        owners_.clear();
        shapes_.clear();
        producer_.clear();
        ++detail::tape_generation<T, B>;
    }

private:
    struct entry {
        const char* op;
        int out;
        std::array<int, max_op_inputs> in;
        backward_fn fn;
    };

    tape() = default;

    int new_slot(parameter<T, B>* owner, const latent::shape& s) {
        const int id = static_cast<int>(grads_.size());
        grads_.emplace_back();
        owners_.push_back(owner);
        shapes_.push_back(s);
        producer_.push_back(-1);
        return id;
    }

    void accumulate(int id, tensor_type g, const char* op) {
        LATENT_CHECK(g.shape() == shapes_[id], shape_error, "backward of ", op, ": gradient of shape ", g.shape(),
                     " for an input of shape ", shapes_[id]);
        if (debug::checking_finite())
            LATENT_CHECK(all_finite(g), numeric_error, "backward of ", op, " produced NaN or infinity");
        if (parameter<T, B>* owner = owners_[id]) {
            launch(B{}, g.size(), kernels::accumulate<T>{owner->grad_.data(), g.data()});
            return;
        }
        tensor_type& slot = grads_[id];
        if (!slot.defined()) slot = g.unique() ? std::move(g) : g.clone();
        else launch(B{}, g.size(), kernels::accumulate<T>{slot.data(), g.data()});
    }

    void run(const var_type& root, tensor_type seed, backward_options options) {
        LATENT_CHECK(root.requires_grad(), error,
                     "backward: the root depends on no trainable parameter, or its graph was already freed "
                     "(pass backward_options{.retain_graph = true} to run backward twice)");
        accumulate(root.id_, std::move(seed), "backward");
        for (int e = producer_[root.id_]; e >= 0; --e) {
            entry& en = entries_[e];
            if (!grads_[en.out].defined()) continue;
            tensor_type grad_out = std::move(grads_[en.out]);
            grads_[en.out] = tensor_type();
            input_grads sink(*this, en.in, en.op);
            en.fn(grad_out, sink);
        }
        if (options.retain_graph) {
            for (auto& g : grads_) g = tensor_type();
        } else {
            clear();
        }
    }

    std::vector<entry> entries_;
    std::vector<tensor_type> grads_;            // by slot: gradient gathered so far
    std::vector<parameter<T, B>*> owners_;      // by slot: the parameter of a leaf, else null
    std::vector<latent::shape> shapes_;         // by slot: the value's shape, to check gradients
    std::vector<int> producer_;                 // by slot: the entry that made it, -1 for leaves
};

template <scalar T, backend B>
var<T, B> parameter<T, B>::as_var() const {
    return tape<T, B>::current().leaf(*this);
}

/// Backward from a one-element loss on this thread's tape; see tape::backward.
template <scalar T, backend B>
void backward(const var<T, B>& loss, backward_options options = {}) {
    tape<T, B>::current().backward(loss, options);
}

/// Records an op on the tape of its inputs' type; the common entry point of op code.
template <scalar T, backend B, class F>
var<T, B> record(const char* op, tensor<T, B> out, std::initializer_list<const var<T, B>*> inputs, F&& backward) {
    return tape<T, B>::current().record(op, std::move(out), inputs, std::forward<F>(backward));
}

}  // namespace latent
