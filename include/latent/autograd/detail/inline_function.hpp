// latent/autograd/detail/inline_function.hpp: a move-only callable stored in place.
//
// The tape records one backward closure per op and must not touch the heap in
// a training step, which rules out std::function. The closure is constructed
// inside a fixed buffer; one that does not fit fails to compile.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace latent::detail {

template <class Signature, std::size_t Capacity>
class inline_function;

template <class R, class... Args, std::size_t Capacity>
class inline_function<R(Args...), Capacity> {
public:
    inline_function() = default;

    template <class F>
        requires(!std::is_same_v<std::decay_t<F>, inline_function>)
    inline_function(F&& f) {  // NOLINT: implicit by design, like std::function
        using stored = std::decay_t<F>;
        static_assert(sizeof(stored) <= Capacity,
                      "latent: this backward closure captures more than the tape's inline capacity; "
                      "capture fewer tensors or raise latent::tape_closure_capacity");
        static_assert(alignof(stored) <= alignof(std::max_align_t), "latent: over-aligned closure");
        ::new (static_cast<void*>(storage_)) stored(std::forward<F>(f));
        call_ = [](void* self, Args... args) -> R {
            return (*static_cast<stored*>(self))(std::forward<Args>(args)...);
        };
        relocate_ = [](void* dst, void* src) noexcept {
            ::new (dst) stored(std::move(*static_cast<stored*>(src)));
            static_cast<stored*>(src)->~stored();
        };
        destroy_ = [](void* self) noexcept { static_cast<stored*>(self)->~stored(); };
    }

    inline_function(inline_function&& o) noexcept { take(o); }
    inline_function& operator=(inline_function&& o) noexcept {
        if (this != &o) {
            reset();
            take(o);
        }
        return *this;
    }
    inline_function(const inline_function&) = delete;
    inline_function& operator=(const inline_function&) = delete;
    ~inline_function() { reset(); }

    R operator()(Args... args) { return call_(storage_, std::forward<Args>(args)...); }
    explicit operator bool() const { return call_ != nullptr; }

    void reset() noexcept {
        if (destroy_) destroy_(storage_);
        call_ = nullptr;
        relocate_ = nullptr;
        destroy_ = nullptr;
    }

private:
    void take(inline_function& o) noexcept {
        if (o.call_) {
            o.relocate_(storage_, o.storage_);
            call_ = o.call_;
            relocate_ = o.relocate_;
            destroy_ = o.destroy_;
            o.call_ = nullptr;
            o.relocate_ = nullptr;
            o.destroy_ = nullptr;
        }
    }

    alignas(std::max_align_t) std::byte storage_[Capacity];
    R (*call_)(void*, Args...) = nullptr;
    void (*relocate_)(void*, void*) noexcept = nullptr;
    void (*destroy_)(void*) noexcept = nullptr;
};

}  // namespace latent::detail
