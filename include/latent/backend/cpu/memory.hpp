// latent/backend/cpu/memory.hpp: raw host memory for the cpu backend.
//
// Buffers are 64-byte aligned (one cache line, one AVX-512 vector) so that
// Eigen's aligned maps and vectorised loops may assume it.
#pragma once

#include <cstdlib>
#include <cstring>

#include "latent/backend/tags.hpp"
#include "latent/core/error.hpp"

namespace latent {

inline constexpr std::size_t cpu_alignment = 64;

/// Returns `bytes` of uninitialised, 64-byte-aligned host memory; throws latent::error when none is left.
inline void* allocate_bytes(cpu, std::size_t bytes) {
    const std::size_t rounded = (bytes + cpu_alignment - 1) / cpu_alignment * cpu_alignment;
    void* p = std::aligned_alloc(cpu_alignment, rounded == 0 ? cpu_alignment : rounded);
    LATENT_CHECK(p != nullptr, error, "cpu: out of memory allocating ", bytes, " bytes");
    return p;
}

inline void free_bytes(cpu, void* p) { std::free(p); }

inline void copy_bytes(cpu, void* dst, const void* src, std::size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
}
inline void copy_to_host(cpu, void* dst, const void* src, std::size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
}
inline void copy_from_host(cpu, void* dst, const void* src, std::size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
}

}  // namespace latent
