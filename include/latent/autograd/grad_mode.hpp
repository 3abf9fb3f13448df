// latent/autograd/grad_mode.hpp: whether ops record gradients, and the debug
// switch that checks every op's output for NaN and infinity.
#pragma once

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace latent {

namespace detail {
inline thread_local bool grad_enabled = true;
inline bool finite_checks_from_environment() {
    const char* v = std::getenv("LATENT_CHECK_FINITE");
    return v && *v && std::strcmp(v, "0") != 0;
}
inline std::atomic<bool> finite_checks{finite_checks_from_environment()};
}  // namespace detail

/// True unless a no_grad scope is open on this thread.
inline bool grad_enabled() { return detail::grad_enabled; }

/// While alive, ops on this thread record nothing for backward (evaluation,
/// sampling, target networks). Scopes nest.
class no_grad {
public:
    no_grad() : previous_(detail::grad_enabled) { detail::grad_enabled = false; }
    ~no_grad() { detail::grad_enabled = previous_; }
    no_grad(const no_grad&) = delete;
    no_grad& operator=(const no_grad&) = delete;

private:
    bool previous_;
};

namespace debug {
/// Turns on checking of every op's output and every backward gradient for NaN
/// or infinity; the first one found throws latent::numeric_error naming the op.
/// Costs a pass over each result, so it is for debugging. Also on when the
/// environment variable LATENT_CHECK_FINITE is set to anything but 0.
inline void check_finite(bool on) { detail::finite_checks.store(on, std::memory_order_relaxed); }
inline bool checking_finite() { return detail::finite_checks.load(std::memory_order_relaxed); }
}  // namespace debug

}  // namespace latent
