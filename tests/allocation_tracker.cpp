// The global operator new and delete of the test binary. Kept in a translation unit of their own: where the
// compiler can see these bodies it inlines them and then warns about malloc/free pairs it cannot prove.
#include "allocation_tracker.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_cap{0};
std::atomic<size_t> g_largest{0};
}  // namespace

namespace attn::testing {

AllocationTracker::AllocationTracker(size_t cap) {
  g_cap = cap;
  g_largest = 0;
  g_tracking = true;
}

AllocationTracker::~AllocationTracker() { g_tracking = false; }

size_t AllocationTracker::largest() const { return g_largest.load(); }

}  // namespace attn::testing

void* operator new(std::size_t size) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    size_t seen = g_largest.load(std::memory_order_relaxed);
    while (size > seen && !g_largest.compare_exchange_weak(seen, size)) {
    }
    if (size > g_cap.load(std::memory_order_relaxed)) throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The array and nothrow forms too (std::stable_sort's buffer comes from nothrow new): otherwise they come
// from the runtime's allocator while the deletes above reach free(), a mismatch AddressSanitizer reports.
// The aligned forms are left to the runtime in both directions.
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
