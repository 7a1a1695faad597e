#pragma once

// Span records recycled between threads (internal). A span's state is one allocation (its
// shared_ptr control block and the state together); the thread that frees it is usually not the
// one that made it (the batch processor's export thread frees every span), which is the pattern
// malloc handles worst: every allocation misses the producer's per-thread cache, and the two
// threads contend for the producer's malloc arena. This pool keeps freed blocks instead:
//  - a freed block goes to one shared array of up to 4096 blocks;
//  - an allocating thread takes blocks from its own list of up to 64, without any lock, and
//    refills the list from the shared array when it is empty.
// The shared array's mutex is only ever try-locked: when it is busy, that one block comes from
// operator new or goes back to operator delete, so no thread ever waits for another. A thread
// holds at most 64 blocks (32 KiB) and the shared array 2 MiB.
// Safe at thread exit and in static destruction (a thread's list is handed to the shared array
// when the thread ends; afterwards that thread uses operator new/delete) and across fork (a child
// loses at most the lists of threads it did not inherit; a lock held at the fork only turns the
// shared array off in the child). Under AddressSanitizer the pool is off, so use-after-free on
// span records stays detectable.
#include <cstddef>
#include <new>

namespace honeyhive::detail {

inline constexpr std::size_t kPoolBlockSize = 512;

// A block of kPoolBlockSize bytes (suitably aligned for any type with fundamental alignment), from
// the pool or from operator new. Throws std::bad_alloc like operator new.
void* take_pool_block();
// Returns a block from take_pool_block to the pool (or to operator delete).
void give_pool_block(void* block) noexcept;

// Allocates single objects of up to kPoolBlockSize bytes from the pool; anything else from
// operator new. For std::allocate_shared, so the control block and the object share one block.
template <class T>
struct PoolAllocator {
  using value_type = T;

  PoolAllocator() noexcept = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding

  static constexpr bool kPooled = sizeof(T) <= kPoolBlockSize && alignof(T) <= alignof(std::max_align_t);

  T* allocate(std::size_t n) {
    if (kPooled && n == 1) return static_cast<T*>(take_pool_block());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* pointer, std::size_t n) noexcept {
    if (kPooled && n == 1) return give_pool_block(pointer);
    ::operator delete(pointer);
  }

  template <class U>
  friend bool operator==(const PoolAllocator&, const PoolAllocator<U>&) noexcept {
    return true;
  }
  template <class U>
  friend bool operator!=(const PoolAllocator&, const PoolAllocator<U>&) noexcept {
    return false;
  }
};

}  // namespace honeyhive::detail
