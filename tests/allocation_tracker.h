#pragma once
// Watches the sizes of the allocations made through operator new, for tests that must show a code path never
// allocates in proportion to a size it was only told about (tests/allocation_tracker.cpp replaces the global
// operator new; outside a tracked scope it only forwards to malloc).
#include <cstddef>

namespace attn::testing {

// While alive, records the largest single allocation and refuses (std::bad_alloc) any request above `cap`, so a
// regression shows as a failed test instead of a real multi-gigabyte allocation. Not nestable.
class AllocationTracker {
 public:
  explicit AllocationTracker(size_t cap);
  ~AllocationTracker();
  AllocationTracker(const AllocationTracker&) = delete;
  AllocationTracker& operator=(const AllocationTracker&) = delete;
  size_t largest() const;  // bytes of the largest request seen (refused ones included)
};

}  // namespace attn::testing
