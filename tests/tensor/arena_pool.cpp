// A private arena pool (what a captured CUDA Graph holds its memory in): blocks acquired under it
// stay its own, so memory the pool's owner will write again is never given to anyone else.
#include <doctest/doctest.h>

#include "latent/tensor/tensor.hpp"

using namespace latent;

TEST_CASE("arena pool: a block released inside a pool goes back to the pool, not to other tensors") {
    arena_pool pool;
    const void* inside = nullptr;
    {
        arena_pool_scope scope(pool);
        tensor<float> scratch({1000});  // the step's scratch memory
        inside = scratch.data();
    }  // released, but into the pool
    CHECK(pool.blocks == 1);
    // A tensor made outside the pool never gets that memory, however many are made.
    std::vector<tensor<float>> outside;
    for (int i = 0; i < 8; ++i) {
        outside.emplace_back(shape{1000});
        CHECK(outside.back().data() != inside);
    }
    // The pool's next acquisition of that size reuses it (a replay writes the same addresses).
    {
        arena_pool_scope scope(pool);
        tensor<float> again({1000});
        CHECK(again.data() == inside);
    }
    CHECK(pool.blocks == 1);
}

TEST_CASE("arena pool: dissolving gives the pool's memory back to everyone") {
    arena_pool pool;
    const void* inside = nullptr;
    {
        arena_pool_scope scope(pool);
        tensor<float> scratch({3000});
        inside = scratch.data();
    }
    arena<cpu>::instance().dissolve_pool(pool);
    CHECK(pool.blocks == 0);
    tensor<float> after({3000});
    CHECK(after.data() == inside);  // the shared free list hands it out again
}

TEST_CASE("arena pool: scopes nest and restore the previous pool") {
    arena_pool outer, inner;
    {
        arena_pool_scope a(outer);
        tensor<float> x({10});
        {
            arena_pool_scope b(inner);
            tensor<float> y({20});
        }
        tensor<float> z({30});
    }
    CHECK(outer.blocks == 2);
    CHECK(inner.blocks == 1);
    arena<cpu>::instance().dissolve_pool(outer);
    arena<cpu>::instance().dissolve_pool(inner);
}
