// latent/data/loader.hpp: batches of a data::source, decoded ahead on a background thread.
//
// A loader walks an index list of a source epoch after epoch. The order of epoch e is a pure
// function of (seed, e) (samplers.hpp), and a batch's place in it is a pure function of its
// position, so the loader's whole state is (epoch, position): a run restarted from a saved
// `state()` yields exactly the batches the uninterrupted run had left.
//
// Threads: the background thread only calls the source's read() and writes host buffers it
// owns; the consumer (the thread calling next()) copies a decoded batch into tensors of backend
// B with tensor::from_host, on its own thread, so device work never leaves the training thread.
// Host buffers live in `prefetch + 1` slots reused batch after batch: in steady state a loader
// asks the heap for nothing (tensors come from the backend's caching arena).
//
// Semi-supervised training: with a label_mask (samplers.hpp), every batch carries a `labelled`
// mask and hidden labels are replaced by `hidden_label` (-1 by default, so that a loss that
// forgets the mask reads an impossible class rather than a leaked one). Labelled and unlabelled
// examples are either mixed in the batches, or (`interleave(a, b)`) drawn as separate streams,
// a labelled batches then b unlabelled ones, and so on.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "latent/core/concepts.hpp"
#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/samplers.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent::data {

/// One batch of n examples.
template <scalar T = float, backend B = cpu>
struct batch {
    tensor<T, B> x;                       // [n, layout.shape...], the features
    tensor<std::int32_t, B> y;            // [n, label_width]; hidden labels hold the loader's hidden_label
    tensor<T, B> labelled;                // [n]: 1 where the label is visible, 0 where hidden
    std::vector<std::int64_t> indices;    // the n dataset indices, in batch order

    std::int64_t size() const { return static_cast<std::int64_t>(indices.size()); }
};

/// Where a loader stands: `position` batches of epoch `epoch` have been delivered.
struct loader_state {
    std::uint64_t epoch = 0;
    std::int64_t position = 0;
    friend bool operator==(const loader_state&, const loader_state&) = default;
};

/// A data augmentation: changes one example's features in place (`layout` tells their shape),
/// drawing any randomness from `gen`.
using augmentation = std::function<void(float* x, const example_layout& layout, generator& gen)>;

/// The generator an augmentation gets for example `index` in `epoch`: one Philox stream per
/// epoch, 2²⁰ draws per example, so no two examples or epochs share numbers.
inline generator augmentation_generator(std::uint64_t seed, std::uint64_t epoch, std::int64_t index) {
    return generator(seed, 0x6175676d00000000ull + epoch, static_cast<std::uint64_t>(index) << 20);
}

/// Options of a loader, PyTorch-style: `loader_options{}.batch_size(128).seed(7)`.
class loader_options {
public:
    /// Examples per batch (default 64).
    loader_options& batch_size(std::int64_t n) {
        LATENT_CHECK(n >= 1, config_error, "loader_options::batch_size: ", n, " must be at least 1");
        batch_size_ = n;
        return *this;
    }
    /// Reorder the indices every epoch (default on); off, batches follow the index list's order.
    loader_options& shuffle(bool on) {
        shuffle_ = on;
        return *this;
    }
    /// Drop a short last batch (default off).
    loader_options& drop_last(bool on) {
        drop_last_ = on;
        return *this;
    }
    /// The seed of the shuffles (default 0).
    loader_options& seed(std::uint64_t s) {
        seed_ = s;
        return *this;
    }
    /// Decode on a background thread (default on); off, next() decodes on the calling thread.
    /// Both give the same batches.
    loader_options& background(bool on) {
        background_ = on;
        return *this;
    }
    /// Batches decoded ahead by the background thread (default 4).
    loader_options& prefetch(int depth) {
        LATENT_CHECK(depth >= 1, config_error, "loader_options::prefetch: depth ", depth, " must be at least 1");
        prefetch_ = depth;
        return *this;
    }
    /// Hide the labels the mask hides (default: every label visible).
    loader_options& supervision(label_mask mask) {
        mask_ = std::make_shared<const label_mask>(std::move(mask));
        return *this;
    }
    /// The value written for a hidden label (default -1).
    loader_options& hidden_label(std::int32_t v) {
        hidden_label_ = v;
        return *this;
    }
    /// With a supervision mask: labelled and unlabelled examples in separate batches,
    /// `labelled` labelled batches then `unlabelled` unlabelled ones, repeated. An epoch is one
    /// pass over the stream that needs more rounds (ties: the unlabelled one); the other is cycled,
    /// reshuffled on each cycle. (0, 0), the default, mixes them in the same batches.
    loader_options& interleave(int labelled, int unlabelled) {
        LATENT_CHECK((labelled == 0 && unlabelled == 0) || (labelled >= 1 && unlabelled >= 1), config_error,
                     "loader_options::interleave: ", labelled, ":", unlabelled,
                     " must be two positive counts, or 0:0 to mix");
        interleave_ = {labelled, unlabelled};
        return *this;
    }
    /// Applies `f` to every example's features after it is read, on the decoding thread (data
    /// augmentation). `f` gets a generator private to (seed, epoch, example), so an augmented epoch
    /// is the same with or without the background thread and after a resume. See data/augment.hpp.
    loader_options& augment(augmentation f) {
        augment_ = std::move(f);
        return *this;
    }
    /// Start from a saved state instead of (0, 0).
    loader_options& start(loader_state s) {
        start_ = s;
        return *this;
    }

    std::int64_t batch_size() const { return batch_size_; }
    bool shuffle() const { return shuffle_; }
    bool drop_last() const { return drop_last_; }
    std::uint64_t seed() const { return seed_; }
    bool background() const { return background_; }
    int prefetch() const { return prefetch_; }
    const label_mask* supervision() const { return mask_.get(); }
    std::int32_t hidden_label() const { return hidden_label_; }
    std::pair<int, int> interleave() const { return interleave_; }
    loader_state start() const { return start_; }
    const augmentation& augment() const { return augment_; }

private:
    std::int64_t batch_size_ = 64;
    bool shuffle_ = true;
    bool drop_last_ = false;
    std::uint64_t seed_ = 0;
    bool background_ = true;
    int prefetch_ = 4;
    std::shared_ptr<const label_mask> mask_;
    std::int32_t hidden_label_ = -1;
    std::pair<int, int> interleave_{0, 0};
    loader_state start_;
    augmentation augment_;
};

namespace detail {

/// Which indices make batch `position` of epoch `epoch`: the schedule of a loader, with no
/// threads and no data. Keeps the last permutation of each stream, so a pass costs one shuffle.
class batch_plan {
public:
    batch_plan(index_list indices, const loader_options& o) : opts_(o) {
        const label_mask* mask = o.supervision();
        const auto [a, b] = o.interleave();
        interleaved_ = a > 0;
        LATENT_CHECK(!interleaved_ || mask, config_error,
                     "loader: interleave(", a, ", ", b, ") needs a supervision mask to tell the streams apart");
        if (!interleaved_) {
            streams_[0] = std::move(indices);
            per_pass_[0] = batch_count(static_cast<std::int64_t>(streams_[0].size()), o.batch_size(), o.drop_last());
            per_epoch_ = per_pass_[0];
            return;
        }
        for (const std::int64_t i : indices) streams_[(*mask)(i) ? 0 : 1].push_back(i);
        for (int s = 0; s < 2; ++s) {
            per_pass_[s] = batch_count(static_cast<std::int64_t>(streams_[s].size()), o.batch_size(), o.drop_last());
            LATENT_CHECK(per_pass_[s] >= 1, config_error, "loader: interleave needs a batch of ",
                         s == 0 ? "labelled" : "unlabelled", " examples; there are ", streams_[s].size(),
                         " for batches of ", o.batch_size(), o.drop_last() ? " with drop_last" : "");
        }
        // the stream needing more rounds of (a, b) batches sets the epoch
        primary_ = per_pass_[0] * b > per_pass_[1] * a ? 0 : 1;
        const std::int64_t k = per_pass_[primary_] - 1, share = primary_ == 0 ? a : b;
        per_epoch_ = (k / share) * (a + b) + (primary_ == 0 ? 0 : a) + k % share + 1;
    }

    std::int64_t per_epoch() const { return per_epoch_; }
    bool interleaved() const { return interleaved_; }

    /// Writes batch (epoch, position)'s indices to `out`; returns its stream (0 labelled or mixed, 1 unlabelled).
    int indices(std::uint64_t epoch, std::int64_t position, std::vector<std::int64_t>& out) {
        int s = 0;
        std::int64_t k = position;  // the batch's number within its stream, this epoch
        if (interleaved_) {
            const auto [a, b] = opts_.interleave();
            const std::int64_t q = position / (a + b), w = position % (a + b);
            s = w < a ? 0 : 1;
            k = s == 0 ? q * a + w : q * b + (w - a);
        }
        const auto cycle = static_cast<std::uint32_t>(k / per_pass_[s]);
        const std::int64_t j = k % per_pass_[s];
        const index_list& order = ordered(s, epoch, cycle);
        const std::int64_t n = static_cast<std::int64_t>(order.size());
        const std::int64_t begin = j * opts_.batch_size(), end = std::min(n, begin + opts_.batch_size());
        out.assign(order.begin() + begin, order.begin() + end);
        return s;
    }

private:
    const index_list& ordered(int s, std::uint64_t epoch, std::uint32_t cycle) {
        cache& c = cache_[s];
        if (c.valid && c.epoch == epoch && c.cycle == cycle) return c.order;
        c.order.assign(streams_[s].begin(), streams_[s].end());
        if (opts_.shuffle()) {
            const std::uint64_t stream =
                !interleaved_ ? derived_stream(purpose::epoch, epoch)
                              : derived_stream(s == 0 ? purpose::labelled : purpose::unlabelled, epoch, cycle);
            shuffle(std::span<std::int64_t>(c.order), opts_.seed(), stream);
        }
        c.valid = true;
        c.epoch = epoch;
        c.cycle = cycle;
        return c.order;
    }

    struct cache {
        bool valid = false;
        std::uint64_t epoch = 0;
        std::uint32_t cycle = 0;
        index_list order;
    };
    loader_options opts_;
    bool interleaved_ = false;
    int primary_ = 1;
    index_list streams_[2];
    std::int64_t per_pass_[2] = {0, 0};
    std::int64_t per_epoch_ = 0;
    cache cache_[2];
};

}  // namespace detail

/// Batches of a data::source over an index list, epoch after epoch (see the top of this file).
///
/// requires: the source outlives the loader and is not read by anyone else meanwhile; indices
///           lie in [0, source.size()); a supervision mask covers the whole source; the example
///           shape has rank 3 at most.
/// ensures:  `next(b)` gives the batches of the current epoch in order and then false once, the
///           next call starting the next epoch; each epoch visits every index of the list exactly
///           once (the last ⌊n / batch⌋·batch with drop_last; in interleave mode the epoch's
///           primary stream); background and synchronous loaders give identical batches; an
///           exception thrown by read() reaches the caller from next(), with its type and message,
///           for that and every later call; destruction mid-epoch stops the thread cleanly.
template <scalar T = float, backend B = cpu>
class loader {
public:
    template <source S>
    loader(const S& src, index_list indices, loader_options opts = {})
        : opts_(std::move(opts)), layout_(src.layout()), state_(opts_.start()) {
        const std::int64_t n = src.size();
        for (std::size_t k = 0; k < indices.size(); ++k)
            LATENT_CHECK(indices[k] >= 0 && indices[k] < n, config_error, "loader: index ", indices[k],
                         " at position ", k, " outside the source's ", n, " examples");
        if (const label_mask* m = opts_.supervision())
            LATENT_CHECK(static_cast<std::int64_t>(m->visible.size()) == n, config_error, "loader: supervision mask of ",
                         m->visible.size(), " examples for a source of ", n);
        LATENT_CHECK(layout_.shape.size() + 1 <= static_cast<std::size_t>(shape::max_rank), config_error,
                     "loader: examples of rank ", layout_.shape.size(), " do not fit a batch tensor of rank ",
                     shape::max_rank);
        features_ = layout_.features();
        plan_ = std::make_unique<detail::batch_plan>(std::move(indices), opts_);
        LATENT_CHECK(state_.position >= 0 && state_.position <= plan_->per_epoch(), config_error,
                     "loader: start position ", state_.position, " outside an epoch of ", plan_->per_epoch(),
                     " batches");
        read_ = [p = &src](std::int64_t i, float* x, std::int32_t* y) { p->read(i, x, y); };
        const int slots = opts_.background() ? opts_.prefetch() + 1 : 1;
        slots_.resize(static_cast<std::size_t>(slots));
        for (auto& s : slots_) reserve(s);
        if (opts_.background()) {
            free_.resize(slots_.size());
            ready_.resize(slots_.size());
            for (int s = 0; s < slots; ++s) free_.push(s);
            worker_ = std::thread([this, at = state_] { work(at); });
        }
    }
    /// Uses every example of the source.
    template <source S>
    explicit loader(const S& src, loader_options opts = {}) : loader(src, all_indices(src.size()), std::move(opts)) {}

    loader(const loader&) = delete;
    loader& operator=(const loader&) = delete;

    ~loader() {
        if (worker_.joinable()) {
            {
                std::lock_guard lock(mutex_);
                stop_.store(true);
            }
            changed_.notify_all();
            worker_.join();
        }
    }

    /// The next batch of this epoch into `out` (its index vector's memory reused); false at the
    /// end of the epoch, after which the state is (epoch + 1, 0). Rethrows a read() failure.
    bool next(batch<T, B>& out) {
        if (error_) std::rethrow_exception(error_);
        int s = 0;
        if (opts_.background()) {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return !ready_.empty(); });
            s = ready_.pop();
        } else {
            loader_state at = state_;  // next() below moves state_ alike in both modes
            produce(slots_[0], at);
        }
        slot& sl = slots_[static_cast<std::size_t>(s)];
        bool got = false;
        if (sl.what == slot::kind::error) {
            error_ = sl.error;
        } else if (sl.what == slot::kind::end) {
            state_ = {state_.epoch + 1, 0};
        } else {
            emit(sl, out);
            state_.position = sl.at.position + 1;
            got = true;
        }
        if (opts_.background()) {
            {
                std::lock_guard lock(mutex_);
                free_.push(s);
            }
            changed_.notify_all();
        }
        if (error_) std::rethrow_exception(error_);
        return got;
    }
    /// The next batch, or nothing at the end of the epoch.
    std::optional<batch<T, B>> next() {
        batch<T, B> b;
        if (!next(b)) return std::nullopt;
        return b;
    }

    /// Where the consumer stands: save it, and pass it to `loader_options::start` to resume.
    loader_state state() const { return state_; }
    std::int64_t batches_per_epoch() const { return plan_->per_epoch(); }
    const example_layout& layout() const { return layout_; }

private:
    struct slot {
        enum class kind { batch, end, error } what = kind::batch;
        loader_state at;                  // the batch's (epoch, position)
        std::vector<float> x;             // n·features, as read
        std::vector<T> xt;                // the same as T, when T is not float
        std::vector<std::int32_t> y;      // n·label_width
        std::vector<T> labelled;          // n
        std::vector<std::int64_t> indices;
        std::exception_ptr error;
    };

    /// A fixed-capacity ring of slot numbers (no allocation after construction).
    struct ring {
        std::vector<int> v;
        std::size_t head = 0, count = 0;
        void resize(std::size_t n) { v.assign(n, 0); }
        bool empty() const { return count == 0; }
        void push(int s) {
            v[(head + count) % v.size()] = s;
            ++count;
        }
        int pop() {
            const int s = v[head];
            head = (head + 1) % v.size();
            --count;
            return s;
        }
    };

    static index_list all_indices(std::int64_t n) {
        index_list v(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
        return v;
    }

    void reserve(slot& s) const {
        const auto bs = static_cast<std::size_t>(opts_.batch_size());
        s.x.reserve(bs * static_cast<std::size_t>(features_));
        if constexpr (!std::is_same_v<T, float>) s.xt.reserve(bs * static_cast<std::size_t>(features_));
        s.y.reserve(bs * static_cast<std::size_t>(layout_.label_width));
        s.labelled.reserve(bs);
        s.indices.reserve(bs);
    }

    /// Fills `s` with the batch at `at` (or the end-of-epoch marker) and advances `at`.
    /// Any exception is stored in the slot, never thrown.
    void produce(slot& s, loader_state& at) {
        try {
            if (at.position >= plan_->per_epoch()) {
                s.what = slot::kind::end;
                at = {at.epoch + 1, 0};
                return;
            }
            s.at = at;
            const int stream = plan_->indices(at.epoch, at.position, s.indices);
            const std::size_t n = s.indices.size(), f = static_cast<std::size_t>(features_),
                              w = static_cast<std::size_t>(layout_.label_width);
            s.x.resize(n * f);
            s.y.resize(n * w);
            s.labelled.resize(n);
            const label_mask* mask = opts_.supervision();
            for (std::size_t k = 0; k < n; ++k) {
                if (stop_.load(std::memory_order_relaxed)) return;  // the loader is going away
                const std::int64_t i = s.indices[k];
                read_(i, s.x.data() + k * f, s.y.data() + k * w);
                if (opts_.augment()) {
                    generator g = augmentation_generator(opts_.seed(), at.epoch, i);
                    opts_.augment()(s.x.data() + k * f, layout_, g);
                }
                const bool visible = plan_->interleaved() ? stream == 0 : (!mask || (*mask)(i));
                s.labelled[k] = visible ? T(1) : T(0);
                if (!visible)
                    for (std::size_t c = 0; c < w; ++c) s.y[k * w + c] = opts_.hidden_label();
            }
            if constexpr (!std::is_same_v<T, float>) {
                s.xt.resize(s.x.size());
                for (std::size_t k = 0; k < s.x.size(); ++k) s.xt[k] = static_cast<T>(s.x[k]);
            }
            s.what = slot::kind::batch;
            ++at.position;
        } catch (...) {
            s.what = slot::kind::error;
            s.error = std::current_exception();
        }
    }

    void work(loader_state at) {
        for (;;) {
            int s = 0;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return stop_.load() || !free_.empty(); });
                if (stop_.load()) return;
                s = free_.pop();
            }
            slot& sl = slots_[static_cast<std::size_t>(s)];
            produce(sl, at);
            const bool failed = sl.what == slot::kind::error;
            {
                std::lock_guard lock(mutex_);
                if (stop_.load()) return;
                ready_.push(s);
            }
            changed_.notify_all();
            if (failed) return;
        }
    }

    void emit(const slot& s, batch<T, B>& out) const {
        const auto n = static_cast<std::int64_t>(s.indices.size());
        std::array<std::int64_t, shape::max_rank> dims{};
        dims[0] = n;
        for (std::size_t d = 0; d < layout_.shape.size(); ++d) dims[d + 1] = layout_.shape[d];
        const shape xs = shape::from_range(dims.begin(), dims.begin() + 1 + static_cast<std::ptrdiff_t>(layout_.shape.size()));
        if constexpr (std::is_same_v<T, float>) {
            out.x = tensor<T, B>::from_host(xs, std::span<const T>(s.x));
        } else {
            out.x = tensor<T, B>::from_host(xs, std::span<const T>(s.xt));
        }
        out.y = tensor<std::int32_t, B>::from_host(shape{n, layout_.label_width}, std::span<const std::int32_t>(s.y));
        out.labelled = tensor<T, B>::from_host(shape{n}, std::span<const T>(s.labelled));
        out.indices.assign(s.indices.begin(), s.indices.end());
    }

    loader_options opts_;
    example_layout layout_;
    std::int64_t features_ = 0;
    loader_state state_;  // the consumer's; the worker keeps its own
    std::unique_ptr<detail::batch_plan> plan_;  // used by the producer only
    std::function<void(std::int64_t, float*, std::int32_t*)> read_;
    std::vector<slot> slots_;
    std::exception_ptr error_;

    std::mutex mutex_;
    std::condition_variable changed_;
    ring free_, ready_;  // slot numbers, guarded by mutex_
    std::atomic<bool> stop_{false};
    std::thread worker_;
};

/// Reads the examples `indices` of a source into one batch, on the calling thread (for the
/// partners a pair_sampler draws, or evaluation on a few examples). Every label is visible.
template <scalar T = float, backend B = cpu, source S>
batch<T, B> read_batch(const S& src, std::span<const std::int64_t> indices) {
    const example_layout layout = src.layout();
    const auto n = static_cast<std::int64_t>(indices.size());
    const std::int64_t f = layout.features();
    std::vector<float> x(static_cast<std::size_t>(n * f));
    std::vector<std::int32_t> y(static_cast<std::size_t>(n * layout.label_width));
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t i = indices[static_cast<std::size_t>(k)];
        LATENT_CHECK(i >= 0 && i < src.size(), config_error, "read_batch: index ", i, " at position ", k,
                     " outside the source's ", src.size(), " examples");
        src.read(i, x.data() + k * f, y.data() + k * layout.label_width);
    }
    LATENT_CHECK(layout.shape.size() + 1 <= static_cast<std::size_t>(shape::max_rank), config_error,
                 "read_batch: examples of rank ", layout.shape.size(), " do not fit a batch tensor");
    std::array<std::int64_t, shape::max_rank> dims{};
    dims[0] = n;
    for (std::size_t d = 0; d < layout.shape.size(); ++d) dims[d + 1] = layout.shape[d];
    const shape xs = shape::from_range(dims.begin(), dims.begin() + 1 + static_cast<std::ptrdiff_t>(layout.shape.size()));
    batch<T, B> b;
    if constexpr (std::is_same_v<T, float>) {
        b.x = tensor<T, B>::from_host(xs, std::span<const float>(x));
    } else {
        std::vector<T> xt(x.begin(), x.end());
        b.x = tensor<T, B>::from_host(xs, std::span<const T>(xt));
    }
    b.y = tensor<std::int32_t, B>::from_host(shape{n, layout.label_width}, std::span<const std::int32_t>(y));
    b.labelled = tensor<T, B>::full(shape{n}, T(1));
    b.indices.assign(indices.begin(), indices.end());
    return b;
}

}  // namespace latent::data
