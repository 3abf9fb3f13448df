// latent/backend/device/counters.hpp: what the device backend has done, counted.
//
// Tests read these to prove that work ran on the device backend: an op whose
// kernels went through `launch(device, …)` raises `launches`, while a
// shortcut to the cpu backend would leave it where it was. The counts are
// relaxed atomics, cheap enough to keep on in every build.
#pragma once

#include <atomic>
#include <cstdint>

namespace latent {

/// Counts of device backend calls since the start of the process (or the last reset()).
struct device_counters {
    /// Kernels run: each launch / launch_coarse, each pass of a reduction, each GEMM.
    std::atomic<std::uint64_t> launches{0};
    /// GEMMs (also counted in `launches`).
    std::atomic<std::uint64_t> gemms{0};
    /// copy_to_host and copy_from_host calls that moved at least one byte.
    std::atomic<std::uint64_t> host_transfers{0};
    /// Calls of allocate_bytes(device): cudaMalloc under CUDA. The arena calls it only when its free
    /// lists hold no block of the size asked for, so in steady state this stays still.
    std::atomic<std::uint64_t> allocations{0};

    void reset() noexcept {
        allocations.store(0, std::memory_order_relaxed);
        launches.store(0, std::memory_order_relaxed);
        gemms.store(0, std::memory_order_relaxed);
        host_transfers.store(0, std::memory_order_relaxed);
    }
};

/// The process's device counters.
inline device_counters& device_stats() noexcept {
    static device_counters counters;
    return counters;
}

namespace detail {
inline void count(std::atomic<std::uint64_t>& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
}  // namespace detail

}  // namespace latent
