#include <doctest/doctest.h>

#include <latent/tensor/tensor.hpp>

#include <cstdint>

using namespace latent;

TEST_CASE("tensor: construction, host round trip and item") {
    auto t = tensor<float>::from_host({2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK(t.rows() == 2);
    CHECK(t.cols() == 3);
    CHECK(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(tensor<double>::full({2}, 1.5).to_vector() == std::vector<double>{1.5, 1.5});
    CHECK(tensor<float>::scalar(7).item() == 7);
    CHECK_THROWS_AS(t.item(), shape_error);
    CHECK_THROWS_AS(tensor<float>::from_host({2, 2}, {1, 2, 3}), shape_error);
}

TEST_CASE("tensor: copies share storage, clone copies, views alias") {
    auto t = tensor<float>::from_host({3, 2}, {1, 2, 3, 4, 5, 6});
    auto shared = t;
    CHECK(shared.shares_storage_with(t));
    CHECK_FALSE(t.unique());
    auto copy = t.clone();
    CHECK_FALSE(copy.shares_storage_with(t));
    auto rows = t.rows(1, 3);
    CHECK(rows.shape() == shape{2, 2});
    CHECK(rows.to_vector() == std::vector<float>{3, 4, 5, 6});
    rows.fill_(0);
    CHECK(t.to_vector() == std::vector<float>{1, 2, 0, 0, 0, 0});
    CHECK(copy.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(t.reshape({6}).shape() == shape{6});
    CHECK_THROWS_WITH_AS(t.reshape({4}), "reshape: cannot view [3, 2] (6 elements) as [4]", shape_error);
    CHECK_THROWS_AS(t.rows(2, 4), shape_error);
}

TEST_CASE("tensor: element conversion and integer tensors") {
    auto labels = tensor<std::int32_t>::from_host({3}, {0, 2, 1});
    CHECK(labels.as<float>().to_vector() == std::vector<float>{0, 2, 1});
    CHECK(all_finite(tensor<float>::ones({4})));
    CHECK_FALSE(all_finite(tensor<float>::from_host({2}, {1.f, 1.f / 0.f})));
}

TEST_CASE("arena: freed blocks are reused, not reallocated") {
    auto& a = arena<cpu>::instance();
    { auto warm = tensor<float>::zeros({1000, 10}); }
    const auto before = a.stats().backend_allocations;
    for (int i = 0; i < 10; ++i) {
        auto t = tensor<float>::zeros({1000, 10});
        CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    }
    CHECK(a.stats().backend_allocations == before);
}

TEST_CASE("arena: size classes waste at most an eighth") {
    for (std::size_t bytes : {1u, 64u, 65u, 4096u, 4097u, 100000u, 1u << 20, (1u << 20) + 1}) {
        const std::size_t cls = arena<cpu>::size_class(bytes);
        CHECK(cls >= bytes);
        CHECK(cls % 64 == 0);
        if (bytes > 4096) CHECK(cls - bytes <= bytes / 8);
    }
}

#include <latent/tensor/index.hpp>

TEST_CASE("take_rows: picks rows by index and names a bad index") {
    const auto t = tensor<float>::from_host({3, 2}, {1, 2, 3, 4, 5, 6});
    const auto idx = tensor<std::int32_t>::from_host({4}, {2, 0, 2, 1});
    CHECK(take_rows(t, idx).to_vector() == std::vector<float>{5, 6, 1, 2, 5, 6, 3, 4});
    CHECK(take_rows(t, idx).shape() == shape{4, 2});
    const auto bad = tensor<std::int32_t>::from_host({2}, {1, 5});
    CHECK_THROWS_WITH_AS(take_rows(t, bad), "take_rows: index 5 at position 1 lies outside [0, 3)", shape_error);
    CHECK_THROWS_WITH_AS(take_rows(t, bad, "index_rows"), "index_rows: index 5 at position 1 lies outside [0, 3)",
                         shape_error);
}
