// latent/train/trainer.hpp: trains any composed model (models/model.hpp).
//
// One optimizer per parameter group ("model", and one per adversary): Adam
// unless group_optimizer chooses otherwise (optim/any_optimizer.hpp), each with
// a MultiStepLR schedule stepped per epoch. Per batch:
//   1. one forward pass gives the main loss and each adversary's loss;
//   2. backward of the main loss (the graph kept), then, per adversary, its
//      group's gradients are cleared and its own loss is back-propagated, so
//      each group's gradient is exactly the gradient of its own loss (the main
//      loss's gradient never reaches an adversary; an adversary's loss reads
//      the latents detached, so it never reaches the model);
//   3. every optimizer steps, after both backward passes: no in-place update
//      can change what the other backward pass saw (the bug MODELS.md §4 warns of).
// With alternating(true) the groups take turns instead (the swap model's
// Algorithm 1, MODELS.md §7): the model's group steps on the main loss first,
// then the batch's losses are computed again, with the model's new weights and
// fresh draws, and only the other groups step on their own losses. A group
// whose loss says step = false (a gated adversary) skips the batch in either order.
// Every term is checked for NaN/Inf before the update; a bad one stops
// training with a numeric_error naming the epoch, step and term.
//
// With an output folder the trainer writes metrics.csv (one row per epoch:
// each term's epoch mean, the lr, seconds) and checkpoint.safetensors after
// every epoch (atomically). `resume` restores parameters, optimizer moments and
// step counts, schedules, the model's sampling generator and the loader's
// position, so a resumed run gives bit-identical losses to an unbroken one.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "latent/autograd/tape.hpp"
#include "latent/data/loader.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/optim/any_optimizer.hpp"
#include "latent/optim/clip.hpp"
#include "latent/optim/schedule.hpp"
#include "latent/train/checkpoint.hpp"
#include "latent/train/progress.hpp"

namespace latent {

/// Options of a trainer, PyTorch-style: `trainer_options{}.epochs(50).lr(1e-3).milestones({30})`.
class trainer_options {
public:
    trainer_options& epochs(int n) { return set(epochs_, n); }
    trainer_options& batch_size(std::int64_t n) { return set(batch_, n); }
    /// Adam's lr for the model's group (and for adversaries unless adversary_lr is set).
    trainer_options& lr(double v) { return set(lr_, v); }
    trainer_options& adversary_lr(double v) { return set(adversary_lr_, v); }
    /// The optimizer of one parameter group, with its options (its lr included), in place of
    /// Adam at lr() or adversary_lr(): e.g. group_optimizer("discriminator", sgd_options{}.lr(0.01)).
    trainer_options& group_optimizer(const std::string& group, optimizer_choice choice) {
        optimizers_.insert_or_assign(group, std::move(choice));
        return *this;
    }
    /// The model's group steps first, then the other groups on losses computed again (above).
    trainer_options& alternating(bool on) { return set(alternating_, on); }
    /// MultiStepLR: the lr is multiplied by gamma at each of these epochs.
    trainer_options& milestones(std::vector<int> m) { return set(milestones_, std::move(m)); }
    trainer_options& gamma(double g) { return set(gamma_, g); }
    /// Seeds the data order (the model's sampling has its own seed, given to build).
    trainer_options& seed(std::uint64_t s) { return set(seed_, s); }
    /// Where metrics.csv and checkpoint.safetensors go; empty: nowhere.
    trainer_options& out(std::filesystem::path p) { return set(out_, std::move(p)); }
    /// Continue from out/checkpoint.safetensors when it exists.
    trainer_options& resume(bool on) { return set(resume_, on); }
    /// Stop after the epoch in which this many seconds have passed (0: no budget).
    trainer_options& time_budget(double seconds) { return set(budget_, seconds); }
    /// Progress bar on stderr (plain lines when it is not a terminal).
    trainer_options& show_progress(bool on) { return set(progress_, on); }
    /// End this call of fit after this many epochs (0: run to `epochs`), as if the process were
    /// stopped there: a later fit with resume continues the same schedule.
    trainer_options& stop_after(int n) { return set(stop_after_, n); }
    /// Before each optimizer step, scale every group's gradients so that their global L2 norm is
    /// at most this (torch.nn.utils.clip_grad_norm_ over each parameter group); 0: no clipping.
    trainer_options& clip_grad_norm(double max_norm) {
        LATENT_CHECK(max_norm >= 0, config_error, "trainer_options::clip_grad_norm: ", max_norm, " is negative");
        return set(clip_, max_norm);
    }
    /// Decode batches on a background thread (the loader's option).
    trainer_options& background_loading(bool on) { return set(background_, on); }
    /// Semi-supervised training: labels hidden where the mask says so (data::supervision_mask), each
    /// batch's mask handed to the model's losses; with interleave(a, b), a labelled batches then
    /// b unlabelled ones (the loader's options). The model's objective must handle hidden labels.
    trainer_options& supervision(data::label_mask mask, int labelled_batches = 0, int unlabelled_batches = 0) {
        mask_ = std::make_shared<const data::label_mask>(std::move(mask));
        interleave_ = {labelled_batches, unlabelled_batches};
        return *this;
    }

    int epochs() const { return epochs_; }
    std::int64_t batch_size() const { return batch_; }
    double lr() const { return lr_; }
    double adversary_lr() const { return adversary_lr_ > 0 ? adversary_lr_ : lr_; }
    const std::map<std::string, optimizer_choice>& group_optimizers() const { return optimizers_; }
    bool alternating() const { return alternating_; }
    const std::vector<int>& milestones() const { return milestones_; }
    double gamma() const { return gamma_; }
    std::uint64_t seed() const { return seed_; }
    const std::filesystem::path& out() const { return out_; }
    bool resume() const { return resume_; }
    double time_budget() const { return budget_; }
    bool show_progress() const { return progress_; }
    bool background_loading() const { return background_; }
    int stop_after() const { return stop_after_; }
    double clip_grad_norm() const { return clip_; }
    const data::label_mask* supervision() const { return mask_.get(); }
    std::pair<int, int> interleave() const { return interleave_; }

private:
    template <class V, class U>
    trainer_options& set(V& field, U&& value) {
        field = std::forward<U>(value);
        return *this;
    }
    int epochs_ = 10;
    std::int64_t batch_ = 64;
    double lr_ = 1e-3, adversary_lr_ = -1;
    std::map<std::string, optimizer_choice> optimizers_;
    bool alternating_ = false;
    std::vector<int> milestones_;
    double gamma_ = 0.1;
    std::uint64_t seed_ = 0;
    std::filesystem::path out_;
    bool resume_ = false;
    double budget_ = 0;
    double clip_ = 0;
    bool progress_ = true;
    bool background_ = true;
    int stop_after_ = 0;
    std::shared_ptr<const data::label_mask> mask_;
    std::pair<int, int> interleave_{0, 0};
};

/// One epoch's means of every term, by name, in the order the model reports them.
struct epoch_record {
    int epoch = 0;
    std::vector<std::pair<std::string, double>> terms;
    double lr = 0;
    double seconds = 0;

    double operator[](const std::string& name) const {
        for (const auto& [n, v] : terms)
            if (n == name) return v;
        throw config_error(detail::concat("epoch record: no term \"", name, "\""));
    }
};

template <class Model>
class trainer {
public:
    using var_type = typename Model::var_type;
    using T = typename var_type::value_type;
    using B = typename var_type::backend_type;
    using optimizer_type = any_optimizer<T, B>;
    using schedule_type = multi_step_lr<optimizer_type>;

    trainer(Model& model, trainer_options options) : model_(model), options_(std::move(options)) {
        LATENT_CHECK(options_.epochs() >= 0 && options_.batch_size() > 0 && options_.lr() > 0, config_error,
                     "trainer: epochs ", options_.epochs(), ", batch size ", options_.batch_size(), " and lr ",
                     options_.lr(), " must be non-negative, positive and positive");
        const auto groups = model_.groups();
        for (const auto& [g, choice] : options_.group_optimizers())
            LATENT_CHECK(std::find(groups.begin(), groups.end(), g) != groups.end(), config_error,
                         "trainer_options::group_optimizer: the model has no parameter group \"", g, "\"");
        for (const std::string& g : groups) {
            const double lr = g == model_group ? options_.lr() : options_.adversary_lr();
            const auto chosen = options_.group_optimizers().find(g);
            const optimizer_choice choice =
                chosen != options_.group_optimizers().end() ? chosen->second : optimizer_choice(adam_options{}.lr(lr));
            auto& slot = groups_.emplace_back();
            slot.name = g;
            const auto params = model_.parameters(g);
            slot.opt = std::make_unique<optimizer_type>(std::span<parameter<T, B>* const>(params), choice);
            slot.schedule = std::make_unique<schedule_type>(*slot.opt, options_.milestones(), options_.gamma());
        }
    }

    /// One batch: losses, the backward passes, every optimizer's step. Returns each term's batch value.
    std::vector<std::pair<std::string, double>> step(const tensor<T, B>& x, const tensor<std::int32_t, B>& y) {
        return step_on([&](loss_set wanted) { return model_.losses(x, y, wanted); });
    }
    /// The same for a semi-supervised batch: `labelled` [n] is 1 where y is visible, 0 where hidden.
    std::vector<std::pair<std::string, double>> step(const tensor<T, B>& x, const tensor<std::int32_t, B>& y,
                                                     const tensor<T, B>& labelled) {
        return step_on([&](loss_set wanted) { return model_.losses(x, y, labelled, wanted); });
    }

private:
    struct group_state;

    /// `compute(wanted)` gives the batch's losses; when alternating it is called once for each
    /// turn, first for the model's losses alone, then for the adversaries' alone.
    template <class Compute>
    std::vector<std::pair<std::string, double>> step_on(Compute&& compute) {
        step_losses<T, B> losses = compute(options_.alternating() ? loss_set::model : loss_set::all);
        check_finite(losses);
        for (auto& g : groups_) g.opt->zero_grad();
        if (!options_.alternating()) {
            backward(losses.main, backward_options{.retain_graph = !losses.others.empty()});
            backward_groups(losses);
            for (auto& g : groups_)
                if (g.name == model_group || steps_on(losses, g.name)) step_group(g);
        } else {
            backward(losses.main);
            step_group(group_named(model_group));
            if (groups_.size() > 1) {
                // Algorithm 1's adversary turn: the losses of the model as it is now.
                step_losses<T, B> again = compute(loss_set::adversaries);
                check_finite(again);
                backward_groups(again);
                for (auto& g : groups_)
                    if (g.name != model_group && steps_on(again, g.name)) step_group(g);
                report(again.terms, losses.terms);
            }
        }
        ++step_;
        return std::move(losses.terms);
    }

    /// Adds the adversary turn's terms to the batch's report (a term both turns give, e.g. a main-loss
    /// piece a term does not skip, keeps the first turn's value: the model stepped on that one).
    static void report(const std::vector<std::pair<std::string, double>>& turn,
                       std::vector<std::pair<std::string, double>>& terms) {
        for (const auto& term : turn)
            if (std::ranges::find(terms, term.first, &std::pair<std::string, double>::first) == terms.end())
                terms.push_back(term);
    }
    void check_finite(const step_losses<T, B>& losses) const {
        for (const auto& [name, value] : losses.terms)
            LATENT_CHECK(std::isfinite(value), numeric_error, "training diverged at epoch ", epoch_, ", step ", step_,
                         ": term \"", name, "\" is ", std::isnan(value) ? "NaN" : (value > 0 ? "+inf" : "-inf"));
    }
    /// Each adversary's gradient, exactly that of its own loss: its group is cleared first.
    void backward_groups(const step_losses<T, B>& losses) {
        for (std::size_t i = 0; i < losses.others.size(); ++i) {
            group_named(losses.others[i].group).opt->zero_grad();
            backward(losses.others[i].loss, backward_options{.retain_graph = i + 1 < losses.others.size()});
        }
    }
    /// Whether an adversary's group steps on this batch: not when one of its losses says step = false.
    static bool steps_on(const step_losses<T, B>& losses, const std::string& group) {
        for (const auto& other : losses.others)
            if (other.group == group && !other.step) return false;
        return true;
    }
    void step_group(group_state& g) {
        if (options_.clip_grad_norm() > 0) latent::clip_grad_norm(model_.parameters(g.name), options_.clip_grad_norm());
        g.opt->step();
    }

public:

    /// Trains on `indices` of `train` for the remaining epochs (all, or those after a resumed checkpoint).
    template <data::source S>
    std::vector<epoch_record> fit(const S& train, data::index_list indices) {
        data::loader_state start{};
        if (!options_.out().empty()) std::filesystem::create_directories(options_.out());
        if (options_.resume() && !options_.out().empty() && std::filesystem::exists(checkpoint_path()))
            start = restore(checkpoint_path());
        auto loading = data::loader_options{}
                           .batch_size(options_.batch_size())
                           .shuffle(true)
                           .drop_last(false)
                           .seed(options_.seed())
                           .background(options_.background_loading())
                           .start(start);
        if (const data::label_mask* mask = options_.supervision()) {
            loading.supervision(*mask);
            if (options_.interleave().first > 0)
                loading.interleave(options_.interleave().first, options_.interleave().second);
        }
        data::loader<T, B> batches(train, std::move(indices), std::move(loading));
        const auto began = std::chrono::steady_clock::now();
        std::vector<epoch_record> run;
        data::batch<T, B> b;
        model_.set_training(true);
        for (epoch_ = static_cast<int>(start.epoch); epoch_ < options_.epochs(); ++epoch_) {
            const auto epoch_began = std::chrono::steady_clock::now();
            std::unique_ptr<progress> bar;
            const std::int64_t per_epoch = batches.batches_per_epoch();
            if (options_.show_progress())
                bar = std::make_unique<progress>("epoch " + std::to_string(epoch_ + 1) + "/" +
                                                     std::to_string(options_.epochs()),
                                                 per_epoch);
            std::vector<std::pair<std::string, double>> sums;
            std::int64_t n = 0;
            while (batches.next(b)) {
                const auto terms = options_.supervision() ? step(b.x, b.y, b.labelled) : step(b.x, b.y);
                if (sums.empty()) sums = terms;
                else
                    for (std::size_t k = 0; k < terms.size(); ++k) sums[k].second += terms[k].second;
                ++n;
                if (bar) bar->update(n, running(sums, n));
            }
            epoch_record rec{epoch_ + 1, std::move(sums), groups_.front().opt->lr(), 0};
            for (auto& [name, v] : rec.terms) v /= static_cast<double>(std::max<std::int64_t>(n, 1));
            for (auto& g : groups_) g.schedule->step();
            rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_began).count();
            history_.push_back(rec);
            run.push_back(rec);
            if (!options_.out().empty()) {
                write_metrics();
                save(checkpoint_path(), batches.state());
            }
            const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
            const bool stopped = options_.stop_after() > 0 && static_cast<int>(run.size()) >= options_.stop_after();
            if (stopped || (options_.time_budget() > 0 && spent >= options_.time_budget())) {
                ++epoch_;
                break;
            }
        }
        model_.set_training(false);
        return run;
    }

    /// Writes parameters, optimizer state, schedules, the model's generator and `at` (the loader's position).
    void save(const std::filesystem::path& path, data::loader_state at) {
        safetensors_metadata md;
        md["trainer.epoch"] = std::to_string(epoch_ + 1);
        md["trainer.step"] = std::to_string(step_);
        md["trainer.loader_epoch"] = std::to_string(at.epoch);
        md["trainer.loader_position"] = std::to_string(at.position);
        md["trainer.rng_offset"] = std::to_string(model_.rng().offset());
        save_checkpoint(path, model_.parameters(), md);
    }

    /// Restores what save wrote; returns the loader position to continue from.
    data::loader_state restore(const std::filesystem::path& path) {
        const auto md = load_checkpoint(path, model_.parameters());
        const auto number = [&](const char* key) -> std::uint64_t {
            const auto it = md.find(key);
            LATENT_CHECK(it != md.end(), io_error, "checkpoint '", path.string(), "': no \"", key,
                         "\": not written by a latent trainer");
            return std::stoull(it->second);
        };
        epoch_ = static_cast<int>(number("trainer.epoch"));
        step_ = static_cast<std::int64_t>(number("trainer.step"));
        model_.rng().set_offset(number("trainer.rng_offset"));
        for (auto& g : groups_) g.schedule->set_last_epoch(epoch_);
        history_ = read_metrics(epoch_);
        return {number("trainer.loader_epoch"), static_cast<std::int64_t>(number("trainer.loader_position"))};
    }

    const std::vector<epoch_record>& history() const { return history_; }
    int epoch() const { return epoch_; }
    std::int64_t steps() const { return step_; }
    optimizer_type& optimizer(const std::string& group) { return *group_named(group).opt; }
    std::filesystem::path checkpoint_path() const { return options_.out() / "checkpoint.safetensors"; }
    std::filesystem::path metrics_path() const { return options_.out() / "metrics.csv"; }

private:
    struct group_state {
        std::string name;
        std::unique_ptr<optimizer_type> opt;
        std::unique_ptr<schedule_type> schedule;
    };
    group_state& group_named(const std::string& name) {
        for (auto& g : groups_)
            if (g.name == name) return g;
        throw config_error(detail::concat("trainer: no optimizer for parameter group \"", name, "\""));
    }

    static std::string running(const std::vector<std::pair<std::string, double>>& sums, std::int64_t n) {
        std::ostringstream s;
        s.precision(4);
        for (const auto& [name, v] : sums) s << name << ' ' << v / static_cast<double>(n) << "  ";
        return s.str();
    }

    void write_metrics() const {
        std::ostringstream csv;
        csv.precision(9);
        csv << "epoch";
        for (const auto& [name, v] : history_.front().terms) csv << ',' << name;
        csv << ",lr,seconds\n";
        for (const auto& r : history_) {
            csv << r.epoch;
            for (const auto& [name, v] : r.terms) csv << ',' << v;
            csv << ',' << r.lr << ',' << r.seconds << '\n';
        }
        const std::string text = csv.str();
        write_file_atomically(metrics_path(), [&](atomic_file_writer& f) { f.write(text.data(), text.size()); });
    }

    /// The rows of an earlier metrics.csv up to `epochs`, so that a resumed run's file continues it.
    std::vector<epoch_record> read_metrics(int epochs) const {
        std::vector<epoch_record> out;
        std::ifstream in(metrics_path());
        std::string line;
        if (!in || !std::getline(in, line)) return out;
        std::vector<std::string> names;
        for (std::stringstream h(line); std::getline(h, line, ',');) names.push_back(line);
        while (std::getline(in, line)) {
            std::vector<double> cells;
            for (std::stringstream r(line); std::getline(r, line, ',');) cells.push_back(std::stod(line));
            if (cells.size() != names.size() || static_cast<int>(cells[0]) > epochs) continue;
            epoch_record rec{static_cast<int>(cells[0]), {}, cells[cells.size() - 2], cells.back()};
            for (std::size_t k = 1; k + 2 < cells.size(); ++k) rec.terms.emplace_back(names[k], cells[k]);
            out.push_back(std::move(rec));
        }
        return out;
    }

    Model& model_;
    trainer_options options_;
    std::vector<group_state> groups_;
    std::vector<epoch_record> history_;
    int epoch_ = 0;
    std::int64_t step_ = 0;
};

}  // namespace latent
