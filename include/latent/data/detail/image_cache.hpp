// latent/data/detail/image_cache.hpp: a bounded, thread-safe cache of decoded images.
//
// Streamed datasets (an image folder, CelebA) decode a JPEG or PNG on every
// read unless it is cached; 200 000 decoded 64×64 CelebA images are 2.4 GB of
// floats, so the cache is bounded and evicts the least recently used image.
// A loader reads from a background thread while the training loop may read
// too (a preview, an evaluation), hence the mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace latent::data::detail {

/// LRU cache from an image index to its decoded features, holding at most
/// `capacity` images (0: caches nothing).
///
/// ensures: `get_or_decode(key, out, n, decode)` writes the n features of `key`
///          to `out`, calling `decode(buffer)` (which fills a std::vector<float>
///          of n) only on a miss; at most `capacity` images stay resident;
///          `decodes()` counts the calls to decode. Thread-safe. A decode that
///          throws leaves the cache as it was.
class image_cache {
public:
    explicit image_cache(std::size_t capacity) : capacity_(capacity) {}

    template <class Decode>
    void get_or_decode(std::int64_t key, float* out, std::size_t n, Decode&& decode) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = index_.find(key);
            if (it != index_.end()) {
                order_.splice(order_.begin(), order_, it->second);  // now the most recently used
                std::memcpy(out, it->second->second.data(), n * sizeof(float));
                return;
            }
        }
        // Decode outside the lock, so that a reader of another image never waits on a JPEG.
        std::vector<float> values;
        decode(values);
        decodes_.fetch_add(1, std::memory_order_relaxed);
        std::memcpy(out, values.data(), n * sizeof(float));
        if (capacity_ == 0) return;
        std::lock_guard<std::mutex> lock(mutex_);
        if (index_.count(key) != 0) return;  // another thread decoded it meanwhile
        order_.emplace_front(key, std::move(values));
        index_.emplace(key, order_.begin());
        while (order_.size() > capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
        }
    }

    std::size_t capacity() const { return capacity_; }
    /// Images resident now.
    std::size_t resident() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return order_.size();
    }
    /// Images decoded so far (cache misses).
    std::int64_t decodes() const { return decodes_.load(std::memory_order_relaxed); }

private:
    using entry = std::pair<std::int64_t, std::vector<float>>;
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::list<entry> order_;  // most recently used first
    std::unordered_map<std::int64_t, std::list<entry>::iterator> index_;
    std::atomic<std::int64_t> decodes_{0};
};

}  // namespace latent::data::detail
