#include "core/block_pool.hpp"

#include <mutex>

namespace honeyhive::detail {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPoolEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kPoolEnabled = false;
#else
constexpr bool kPoolEnabled = true;
#endif
#else
constexpr bool kPoolEnabled = true;
#endif

constexpr std::size_t kLocalBlocks = 64;     // per thread: 32 KiB
constexpr std::size_t kSharedBlocks = 4096;  // in all: 2 MiB

// The shared blocks: a bounded array behind a mutex that is only ever try-locked, so neither a
// producer nor the export thread ever waits for the other (a busy lock means operator new/delete
// this once). Constant-initialised and trivially destructible: usable from any thread at any
// time, static destruction included. In a fork child a lock held by a vanished thread only turns
// the shared part of the pool off there.
struct Shared {
  std::mutex mutex;
  std::size_t count = 0;
  void* blocks[kSharedBlocks] = {};
};
Shared g_shared;

// Onto the shared array when it can be had at once and has room, else back to operator delete.
void give_shared(void* block) noexcept {
  if (g_shared.mutex.try_lock()) {
    if (g_shared.count < kSharedBlocks) {
      g_shared.blocks[g_shared.count++] = block;
      g_shared.mutex.unlock();
      return;
    }
    g_shared.mutex.unlock();
  }
  ::operator delete(block);
}

enum class ListState : unsigned char { unused, alive, destroyed };

// This thread's state; trivially destructible, so it can still be read after the list itself has
// been destroyed at thread exit.
thread_local ListState t_list_state = ListState::unused;

// A thread's own blocks: taken from here without any lock.
struct LocalList {
  std::size_t count = 0;
  void* blocks[kLocalBlocks];
  LocalList() noexcept { t_list_state = ListState::alive; }
  ~LocalList() {
    t_list_state = ListState::destroyed;
    while (count > 0) give_shared(blocks[--count]);
  }
};

thread_local LocalList t_list;

LocalList* local_list() noexcept {
  if (t_list_state == ListState::destroyed) return nullptr;
  return &t_list;  // constructs it on this thread's first use
}

}  // namespace

void* take_pool_block() {
  if (kPoolEnabled) {
    if (LocalList* list = local_list()) {
      if (list->count == 0 && g_shared.mutex.try_lock()) {
        // Refill: what a thread holds stays bounded (kLocalBlocks), and copying pointers out of an
        // array costs no walk through blocks that are out of cache.
        std::size_t moved = 0;
        while (moved < kLocalBlocks && g_shared.count > 0) list->blocks[moved++] = g_shared.blocks[--g_shared.count];
        g_shared.mutex.unlock();
        list->count = moved;
      }
      if (list->count > 0) return list->blocks[--list->count];
    }
  }
  return ::operator new(kPoolBlockSize);
}

void give_pool_block(void* pointer) noexcept {
  if (pointer == nullptr) return;
  if (!kPoolEnabled) {
    ::operator delete(pointer);
    return;
  }
  // Straight to the shared array, even from a thread that starts spans itself: a freeing thread
  // that kept blocks in its own list first (the export thread never starts spans) made workload
  // (b) slower (8,565 -> 10,409 instructions per span under callgrind).
  give_shared(pointer);
}

}  // namespace honeyhive::detail
