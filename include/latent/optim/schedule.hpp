// latent/optim/schedule.hpp: learning-rate schedules, stepped once per epoch.
//
// As in PyTorch, building a schedule takes the optimizer's current lr as the
// base lr and sets epoch 0; step() at the end of each epoch moves to the next
// epoch and sets the optimizer's lr for it. The lr is computed in closed form
// from the base lr (PyTorch's _get_closed_form_lr), so that a run resumes by
// rebuilding the optimizer from its options, rebuilding the schedule, and
// calling set_last_epoch(saved epoch).
#pragma once

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>
#include <vector>

#include "latent/optim/optimizer.hpp"

namespace latent {

namespace detail {
/// What both schedules share: the optimizer, base lr and epoch; Self supplies factor(epoch).
template <optimizer O, class Self>
class lr_schedule {
public:
    /// Moves to the next epoch and sets its lr: call once after each epoch.
    void step() { set_last_epoch(last_epoch_ + 1); }

    /// The epoch whose lr is set (0 after construction, PyTorch's last_epoch).
    int last_epoch() const { return last_epoch_; }
    /// Jumps to `epoch` (≥ 0, else config_error) and sets the optimizer's lr for it: how a run resumes.
    void set_last_epoch(int epoch) {
        LATENT_CHECK(epoch >= 0, config_error, Self::name, ": last_epoch must be >= 0, not ", epoch);
        last_epoch_ = epoch;
        opt_->set_lr(lr_at(epoch));
    }

    /// The optimizer's lr when the schedule was built.
    double base_lr() const { return base_lr_; }
    /// The lr the schedule sets at `epoch`.
    double lr_at(int epoch) const { return base_lr_ * static_cast<const Self&>(*this).factor(epoch); }
    /// The lr the schedule last set (PyTorch's get_last_lr).
    double lr() const { return lr_at(last_epoch_); }

protected:
    explicit lr_schedule(O& opt) : opt_(&opt), base_lr_(opt.lr()) {}

private:
    O* opt_;
    double base_lr_;
    int last_epoch_ = 0;
};
}  // namespace detail

/// lr = base_lr · γ^(number of milestones ≤ epoch), as torch.optim.lr_scheduler.MultiStepLR.
/// A milestone listed twice counts twice, as in PyTorch; the order of milestones does not matter.
///
/// requires: gamma ≥ 0 (config_error otherwise); `opt` outlives the schedule.
template <optimizer O>
class multi_step_lr : public detail::lr_schedule<O, multi_step_lr<O>> {
public:
    static constexpr const char* name = "multi_step_lr";

    multi_step_lr(O& opt, std::vector<int> milestones, double gamma = 0.1)
        : detail::lr_schedule<O, multi_step_lr<O>>(opt), milestones_(std::move(milestones)), gamma_(gamma) {
        LATENT_CHECK(gamma >= 0, config_error, name, ": gamma must be >= 0, not ", gamma);
        std::sort(milestones_.begin(), milestones_.end());
        this->set_last_epoch(0);
    }

    double gamma() const { return gamma_; }
    const std::vector<int>& milestones() const { return milestones_; }

    double factor(int epoch) const {
        const auto passed = std::distance(milestones_.begin(), std::upper_bound(milestones_.begin(), milestones_.end(), epoch));
        return std::pow(gamma_, static_cast<double>(passed));
    }

private:
    std::vector<int> milestones_;  // sorted
    double gamma_;
};

/// lr = base_lr · γ^epoch, as torch.optim.lr_scheduler.ExponentialLR.
///
/// requires: gamma ≥ 0 (config_error otherwise); `opt` outlives the schedule.
template <optimizer O>
class exponential_lr : public detail::lr_schedule<O, exponential_lr<O>> {
public:
    static constexpr const char* name = "exponential_lr";

    exponential_lr(O& opt, double gamma) : detail::lr_schedule<O, exponential_lr<O>>(opt), gamma_(gamma) {
        LATENT_CHECK(gamma >= 0, config_error, name, ": gamma must be >= 0, not ", gamma);
        this->set_last_epoch(0);
    }

    double gamma() const { return gamma_; }
    double factor(int epoch) const { return std::pow(gamma_, static_cast<double>(epoch)); }

private:
    double gamma_;
};

}  // namespace latent
