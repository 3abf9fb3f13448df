// latent/tensor/arena.hpp: a caching allocator, one per backend.
//
// Training repeats the same allocations every step. The arena keeps freed
// blocks in free lists by size class and hands them out again, so that after
// the first step a training step asks the backend (malloc, cudaMalloc) for
// nothing. Block descriptors are pooled too: steady state makes no heap
// allocation at all.
//
// A private pool (arena_pool, made current on a thread by arena_pool_scope)
// keeps the blocks its scope acquires for itself: released, they go back to
// the pool, never to the shared free lists, so no tensor made outside the
// scope can ever be given their memory. CUDA Graph capture needs exactly that
// (backend/device/graph.hpp): a replay writes the captured step's scratch
// memory again, so that memory must stay the step's own.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "latent/core/concepts.hpp"

namespace latent {

/// One buffer handed out by an arena, with the reference count of the tensors sharing it.
struct arena_block {
    void* data = nullptr;
    std::size_t capacity = 0;  // bytes, the block's size class
    std::atomic<int> refs{0};
    arena_block* next_free = nullptr;
    struct arena_pool* pool = nullptr;  // the private pool that owns it, if any
};

/// Blocks set aside for one owner (a captured graph). See arena_pool_scope.
struct arena_pool {
    std::unordered_map<std::size_t, arena_block*> free_lists;
    std::size_t blocks = 0;  // owned, in use or free
};

namespace detail {
/// The private pool that acquisitions on this thread go to, if any.
inline thread_local arena_pool* current_arena_pool = nullptr;
}  // namespace detail

/// Makes `pool` current on this thread for the scope's lifetime: every block acquired meanwhile
/// belongs to the pool for good (until arena<B>::dissolve_pool).
class arena_pool_scope {
public:
    explicit arena_pool_scope(arena_pool& pool) : previous_(detail::current_arena_pool) {
        detail::current_arena_pool = &pool;
    }
    ~arena_pool_scope() { detail::current_arena_pool = previous_; }
    arena_pool_scope(const arena_pool_scope&) = delete;
    arena_pool_scope& operator=(const arena_pool_scope&) = delete;

private:
    arena_pool* previous_;
};

/// What an arena holds; `backend_allocations` counts calls to the backend's allocator.
struct arena_stats {
    std::size_t backend_allocations = 0;
    std::size_t bytes_reserved = 0;  // held from the backend, in use or cached
    std::size_t bytes_in_use = 0;
};

/// The caching allocator of backend B. Thread-safe; a process has one per backend
/// (`arena<B>::instance()`), never destroyed, so tensors in static storage are safe.
template <backend B>
class arena {
public:
    static arena& instance() {
        static arena* const the_arena = new arena();  // leaked on purpose: outlives every tensor
        return *the_arena;
    }

    /// Size class of a request: multiples of 64 bytes up to 4 KiB, then eight
    /// classes per power of two, so no block wastes more than 12.5%.
    static constexpr std::size_t size_class(std::size_t bytes) {
        if (bytes <= 64) return 64;
        if (bytes <= 4096) return (bytes + 63) / 64 * 64;
        const std::size_t step = std::bit_floor(bytes) / 8;
        return (bytes + step - 1) / step * step;
    }

    /// A block of at least `bytes`, with a reference count of one: from the current private pool's
    /// free list if a pool is current, else from the shared free list, else from the backend.
    arena_block* acquire(std::size_t bytes) {
        const std::size_t cls = size_class(bytes);
        arena_pool* pool = detail::current_arena_pool;
        std::lock_guard lock(mutex_);
        arena_block* blk = nullptr;
        if (pool) {
            arena_block*& own = pool->free_lists[cls];
            if ((blk = own) != nullptr) own = blk->next_free;
        }
        arena_block*& head = free_lists_[cls];
        if (blk) {
        } else if ((blk = head) != nullptr) {
            head = blk->next_free;
        } else {
            blk = new_descriptor();
            blk->data = allocate_bytes(B{}, cls);
            blk->capacity = cls;
            ++stats_.backend_allocations;
            stats_.bytes_reserved += cls;
        }
        if (pool && blk->pool == nullptr) {
            blk->pool = pool;
            ++pool->blocks;
        }
        blk->next_free = nullptr;
        blk->refs.store(1, std::memory_order_relaxed);
        stats_.bytes_in_use += cls;
        return blk;
    }

    /// Returns a block whose count fell to zero to its free list (its pool's, if it has one).
    void release(arena_block* blk) {
        std::lock_guard lock(mutex_);
        stats_.bytes_in_use -= blk->capacity;
        arena_block*& head = blk->pool ? blk->pool->free_lists[blk->capacity] : free_lists_[blk->capacity];
        blk->next_free = head;
        head = blk;
    }

    /// Gives a pool's free blocks back to the shared lists and frees its blocks still in use from
    /// it (they return to the shared lists when released). The pool may then be destroyed.
    /// requires: no thread has the pool current.
    void dissolve_pool(arena_pool& pool) {
        std::lock_guard lock(mutex_);
        for (auto& [cls, own] : pool.free_lists) {
            while (own) {
                arena_block* blk = own;
                own = blk->next_free;
                blk->pool = nullptr;
                blk->next_free = free_lists_[cls];
                free_lists_[cls] = blk;
            }
        }
        for (auto& chunk : chunks_)
            for (std::size_t i = 0; i < descriptor_chunk; ++i)
                if (chunk[i].pool == &pool) chunk[i].pool = nullptr;
        pool.blocks = 0;
    }

    /// Gives every cached (unused) block back to the backend.
    void release_cached() {
        std::lock_guard lock(mutex_);
        for (auto& [cls, head] : free_lists_) {
            while (head) {
                arena_block* blk = head;
                head = blk->next_free;
                free_bytes(B{}, blk->data);
                stats_.bytes_reserved -= blk->capacity;
                blk->data = nullptr;
                blk->next_free = spare_descriptors_;
                spare_descriptors_ = blk;
            }
        }
    }

    arena_stats stats() const {
        std::lock_guard lock(mutex_);
        return stats_;
    }

private:
    arena() = default;

    arena_block* new_descriptor() {
        if (!spare_descriptors_) {
            chunks_.push_back(std::make_unique<arena_block[]>(descriptor_chunk));
            for (std::size_t i = 0; i < descriptor_chunk; ++i) {
                chunks_.back()[i].next_free = spare_descriptors_;
                spare_descriptors_ = &chunks_.back()[i];
            }
        }
        arena_block* blk = spare_descriptors_;
        spare_descriptors_ = blk->next_free;
        return blk;
    }

    static constexpr std::size_t descriptor_chunk = 256;
    mutable std::mutex mutex_;
    std::unordered_map<std::size_t, arena_block*> free_lists_;
    std::vector<std::unique_ptr<arena_block[]>> chunks_;
    arena_block* spare_descriptors_ = nullptr;
    arena_stats stats_;
};

/// A shared, reference-counted handle to one arena block of backend B.
template <backend B>
class buffer {
public:
    buffer() = default;
    explicit buffer(std::size_t bytes) : blk_(arena<B>::instance().acquire(bytes)) {}
    buffer(const buffer& o) noexcept : blk_(o.blk_) {
        if (blk_) blk_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    buffer(buffer&& o) noexcept : blk_(o.blk_) { o.blk_ = nullptr; }
    buffer& operator=(buffer o) noexcept {
        std::swap(blk_, o.blk_);
        return *this;
    }
    ~buffer() { reset(); }

    void reset() noexcept {
        if (blk_ && blk_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) arena<B>::instance().release(blk_);
        blk_ = nullptr;
    }
    void* data() const { return blk_ ? blk_->data : nullptr; }
    std::size_t capacity() const { return blk_ ? blk_->capacity : 0; }
    int use_count() const { return blk_ ? blk_->refs.load(std::memory_order_acquire) : 0; }
    explicit operator bool() const { return blk_ != nullptr; }
    bool same_block(const buffer& o) const { return blk_ == o.blk_; }

private:
    arena_block* blk_ = nullptr;
};

}  // namespace latent
