#include "core/block_pool.hpp"

#include <atomic>

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

constexpr std::size_t kSharedBlocks = 8192;  // in all: 4 MiB

struct FreeBlock {
  FreeBlock* next;
};

// Constant-initialised and trivially destructible: usable from any thread at any time, including
// static destruction.
std::atomic<FreeBlock*> g_shared{nullptr};
std::atomic<std::size_t> g_shared_count{0};  // blocks on the shared stack (may pass the cap by a few)

void push_shared(FreeBlock* block) noexcept {
  if (g_shared_count.load(std::memory_order_relaxed) >= kSharedBlocks) {
    ::operator delete(block);
    return;
  }
  g_shared_count.fetch_add(1, std::memory_order_relaxed);
  FreeBlock* head = g_shared.load(std::memory_order_relaxed);
  do {
    block->next = head;
  } while (!g_shared.compare_exchange_weak(head, block, std::memory_order_release, std::memory_order_relaxed));
}

enum class ListState : unsigned char { unused, alive, destroyed };

// This thread's list; its state is trivially destructible, so it can still be read after the list
// itself has been destroyed at thread exit.
thread_local ListState t_list_state = ListState::unused;

struct LocalList {
  FreeBlock* head = nullptr;
  LocalList() noexcept { t_list_state = ListState::alive; }
  ~LocalList() {
    t_list_state = ListState::destroyed;
    while (head != nullptr) {
      FreeBlock* block = head;
      head = block->next;
      push_shared(block);
    }
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
      if (list->head == nullptr) {
        // Take everything waiting; each block was counted once when pushed.
        list->head = g_shared.exchange(nullptr, std::memory_order_acquire);
        std::size_t taken = 0;
        for (const FreeBlock* block = list->head; block != nullptr; block = block->next) ++taken;
        g_shared_count.fetch_sub(taken, std::memory_order_relaxed);
      }
      if (FreeBlock* block = list->head) {
        list->head = block->next;
        return block;
      }
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
  // Always onto the shared stack, even from the thread that will take it again: a freeing thread
  // that kept blocks for itself (the export thread never starts spans) starved the producers, and
  // one compare-and-swap is cheap next to what malloc does for a block freed on another thread.
  push_shared(static_cast<FreeBlock*>(pointer));
}

}  // namespace honeyhive::detail
