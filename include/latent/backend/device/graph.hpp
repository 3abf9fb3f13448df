// latent/backend/device/graph.hpp: a training step captured once as a CUDA Graph, then replayed.
//
// A small model's step is hundreds of short kernels; on a GPU their launch
// cost, not their work, sets the step time. Captured as one CUDA Graph, the
// whole sequence is submitted by one cudaGraphLaunch. Under a host compiler
// (Thrust's OMP/CPP system) nothing can be captured: graph_step then runs the
// step every time, so the same program runs, and tests, on both.
//
// What a replay does: it repeats the kernels, copies and GEMMs the step queued
// while it was captured, with the same arguments and the same memory. It does
// NOT run the step's host code again. Therefore the captured step must
//  - read its inputs from, and write what the host wants back into, tensors
//    created before the capture (copy a new batch into the input tensor before
//    each run; copy the loss into an output tensor inside the step);
//  - do no host transfer (to_vector, from_host, an Adam step whose parameters'
//    step counts differ, debug::check_finite): capturing one throws cuda_error;
//  - draw no random numbers and use no value the host changes per step (a
//    learning rate from a schedule, Adam's bias corrections): a replay would
//    repeat the values of the capture. Run the optimizer step after run(), not
//    inside it: with the fused group update it is one launch anyway;
//  - read the step's own results (its loss, say) only until the next replay,
//    which writes them again. Scratch memory the captured step used is held by
//    the graph's private arena pool (tensor/arena.hpp) for the graph's lifetime,
//    so no tensor made outside the step can be given it.
// The first run is eager (it fills the arena's free lists and creates cuBLAS's
// handle, so the capture allocates nothing); the second captures and launches.
#pragma once

#include "latent/backend/device/system.hpp"  // first: see there

#include <cstddef>
#include <exception>
#include <utility>

#include "latent/backend/device/launch.hpp"
#include "latent/tensor/arena.hpp"
#include "latent/core/error.hpp"

#if LATENT_DEVICE_CUDA
#include "latent/backend/cuda/check.hpp"
#include "latent/backend/cuda/cublas.hpp"
#include "latent/backend/cuda/stream.hpp"
#endif

namespace latent::cuda {

/// True when graph_step really captures (CUDA build); false on Thrust's host systems.
inline constexpr bool graphs_available = LATENT_DEVICE_CUDA != 0;

/// One captured step: `run(step)` runs `step` eagerly the first time, captures it into a CUDA Graph
/// the second time (and launches that graph), and from then on launches the graph without calling
/// `step`. Host build: runs `step` on every call (a documented fallback with the same results).
/// requires: the contract at the top of this file; every run is given the same step.
/// ensures:  captured() after the second run (CUDA); runs() counts calls, replays() graph launches.
///           Not copyable; the destructor frees the graph.
class graph_step {
public:
    graph_step() = default;
    graph_step(const graph_step&) = delete;
    graph_step& operator=(const graph_step&) = delete;
    ~graph_step() { reset(); }
    graph_step(graph_step&&) = delete;
    graph_step& operator=(graph_step&&) = delete;

    template <class Step>
    void run(Step&& step) {
        ++runs_;
#if LATENT_DEVICE_CUDA
        if (exec_) {
            ++replays_;
            LATENT_CUDA_CHECK(cudaGraphLaunch(exec_, stream()));
            return;
        }
        if (runs_ == 1) {  // warm-up: allocations and handles happen here, outside the capture
            (void)blas_handle();
            step();
            return;
        }
        capture(std::forward<Step>(step));
        ++replays_;
        LATENT_CUDA_CHECK(cudaGraphLaunch(exec_, stream()));
#else
        step();
#endif
    }

    /// Whether a graph has been captured (never on host systems).
    bool captured() const {
#if LATENT_DEVICE_CUDA
        return exec_ != nullptr;
#else
        return false;
#endif
    }
    std::size_t runs() const { return runs_; }
    std::size_t replays() const { return replays_; }

    /// Drops the graph: the next run is eager again, the one after captures anew (after a change of
    /// shapes, learning rate or anything else the capture froze).
    void reset() noexcept {
#if LATENT_DEVICE_CUDA
        if (exec_) (void)cudaGraphExecDestroy(exec_);
        if (graph_) (void)cudaGraphDestroy(graph_);
        exec_ = nullptr;
        graph_ = nullptr;
        arena<device>::instance().dissolve_pool(pool_);
#endif
        runs_ = 0;
        replays_ = 0;
    }

private:
#if LATENT_DEVICE_CUDA
    template <class Step>
    void capture(Step&& step) {
        cudaStream_t s = stream();
        synchronize();  // nothing of earlier steps may be pending in the capture
        // Relaxed: an arena that still grows may call cudaMalloc during the capture (not captured, kept).
        LATENT_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
        try {
            arena_pool_scope own_memory(pool_);  // the captured addresses stay the graph's
            step();
        } catch (...) {
            cudaGraph_t broken = nullptr;
            (void)cudaStreamEndCapture(s, &broken);  // leave capture mode whatever happened
            if (broken) (void)cudaGraphDestroy(broken);
            (void)cudaGetLastError();
            try {
                throw;
            } catch (const error& e) {
                throw cuda_error(::latent::detail::concat(
                    "graph_step: the step cannot be captured (a host transfer, a synchronisation or an "
                    "allocation of the backend inside it?): ",
                    e.what()));
            }
        }
        LATENT_CUDA_CHECK(cudaStreamEndCapture(s, &graph_));
        LATENT_CUDA_CHECK(cudaGraphInstantiate(&exec_, graph_, 0));
    }

    cudaGraph_t graph_ = nullptr;
    cudaGraphExec_t exec_ = nullptr;
    arena_pool pool_;
#endif
    std::size_t runs_ = 0;
    std::size_t replays_ = 0;
};

}  // namespace latent::cuda
