#include "honeyhive/core/context.hpp"

#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "core/baggage_find.hpp"
#include "core/current_context.hpp"
#include "core/span_state.hpp"
#include "core/thread_count.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/span.hpp"

namespace honeyhive {
namespace detail {

// Threads alive that have used a context (the lifecycle's "many threads" signal).
std::atomic<std::size_t> g_threads_with_context{0};

// Set when this thread's stack has been destroyed (thread exit; for the main thread, after main
// returns): spans started later, e.g. from static destructors, then see an empty context and
// attach nothing. A trivially destructible thread_local, so it outlives the stack.
thread_local bool t_stack_destroyed = false;

struct ContextStack;
// This thread's stack once it exists, null before and after (trivially initialized: reading it
// costs no thread-local guard, unlike the stack itself).
thread_local ContextStack* t_stack = nullptr;

// This thread's stack of attached contexts; the top is current. Entries carry the token of the
// Scope that attached them, so an out-of-order detach ends exactly its own entry.
//
// Entries never move and are never destroyed while the thread runs: they live in blocks that are
// added as the stack grows and kept when it shrinks. A scope that ends leaves its entry empty (its
// context released, token 0); one that ends out of order leaves it so in place, below the top, and
// the stack shrinks past it once the entries above it end. So a reference to an attached context
// stays that context until its own scope ends, whatever is attached or ended above or below it
// meanwhile (Tracer::start hands the current context by reference to every processor's on_start,
// and a processor may attach and end scopes of its own); after that it shows an empty context or
// one attached later in its place, never a destroyed one.
struct ContextStack {
  struct Entry {
    std::uint64_t token = 0;  // 0: not attached (never used, or its scope has ended)
    Context context;
  };

  ContextStack() noexcept : next_token(first_token()) {
    g_threads_with_context.fetch_add(1, std::memory_order_relaxed);
    t_stack = this;
  }
  ~ContextStack() {
    t_stack = nullptr;
    t_stack_destroyed = true;
    g_threads_with_context.fetch_sub(1, std::memory_order_relaxed);
  }
  ContextStack(const ContextStack&) = delete;
  ContextStack& operator=(const ContextStack&) = delete;

  // The current context: the innermost attached one, or the empty context.
  const Context& current() const noexcept { return top_ != nullptr ? top_->context : empty; }

  // The innermost attached entry (null when none is): always one whose scope has not ended.
  Entry* top() noexcept { return top_; }
  std::size_t size() const noexcept { return size_; }
  Entry& at(std::size_t index) noexcept { return blocks_[index / kBlock]->slots[index % kBlock]; }

  // Attaches an empty context, returned for the caller to fill in place (the entry at size_ is
  // empty: never used, or emptied when its scope ended). May throw std::bad_alloc (a new block),
  // having attached nothing.
  Context& push_empty(std::uint64_t token) {
    Entry* slot;
    if (size_ % kBlock != 0) {
      slot = top_ + 1;  // within the top's block (the top is the entry at size_ - 1)
    } else {
      // The first slot of the next block (kept from an earlier push, or new).
      const std::size_t block = size_ / kBlock;
      if (block == blocks_.size()) {
        blocks_.reserve(block + 1);  // the push_back below cannot throw then
        blocks_.push_back(std::make_unique<Block>());
      }
      slot = &blocks_[block]->slots[0];
    }
    slot->token = token;
    top_ = slot;
    ++size_;
    return slot->context;
  }

  // Ends the top entry, and the entries below it that ended out of order.
  void pop() noexcept {
    Entry* entry = top_;
    const Context released = take(*entry);
    for (;;) {
      if (--size_ == 0) {
        top_ = nullptr;
        return;
      }
      // The entry at size_ - 1: the one before in this block, or the last of the block before.
      entry = size_ % kBlock != 0 ? entry - 1 : &blocks_[size_ / kBlock - 1]->slots[kBlock - 1];
      if (entry->token != 0) break;
    }
    top_ = entry;
  }

  // Ends the entry at `index`, below the top, in place (an out-of-order detach).
  void end_below_top(std::size_t index) noexcept { const Context released = take(at(index)); }

  // Tokens of one stack never match another's: each stack counts from a base of its own (its
  // creation's number in the upper 24 bits). A thread's stack may sit at the address of an exited
  // thread's stack, so the address alone does not tell a scope of the old thread from one of this
  // thread; with tokens counted from 1 on every stack, such a stale scope ended this thread's entry.
  static std::uint64_t first_token() noexcept {
    static std::atomic<std::uint64_t> stacks_made{0};
    return ((stacks_made.fetch_add(1, std::memory_order_relaxed) + 1) << 40) | 1;
  }

  std::uint64_t next_token;
  const Context empty;  // current when nothing is attached

 private:
  // Empties `entry` and returns its context, for the caller to release once the stack is
  // consistent again (releasing a span may run code that attaches).
  static Context take(Entry& entry) noexcept {
    entry.token = 0;
    return std::exchange(entry.context, Context());
  }

  static constexpr std::size_t kBlock = 8;
  struct Block {
    Entry slots[kBlock];
  };
  std::vector<std::unique_ptr<Block>> blocks_;
  std::size_t size_ = 0;  // entries [0, size_) are in use; the one at size_ - 1 is attached
  Entry* top_ = nullptr;  // &at(size_ - 1), or null when size_ is 0
};

std::size_t live_context_threads() noexcept { return g_threads_with_context.load(std::memory_order_relaxed); }

namespace {
std::atomic<bool> g_process_exiting{false};
}  // namespace
void mark_process_exiting() noexcept { g_process_exiting.store(true, std::memory_order_release); }
bool process_is_exiting() noexcept { return g_process_exiting.load(std::memory_order_acquire); }

namespace {
// Creates this thread's stack; not to be called once it has been destroyed (t_stack_destroyed).
ContextStack& create_this_thread_stack() {
  thread_local ContextStack stack;
  return stack;
}
const Context& empty_context() {
  static const Context kEmpty;
  return kEmpty;
}
const std::vector<BaggageEntry>& empty_baggage() {
  static const std::vector<BaggageEntry> kEmpty;
  return kEmpty;
}

// Attaches to this thread the context `fill` writes into the stack's next entry (an empty one),
// and sets `stack_out` and `token_out` for the scope that ends it: Scope(Context&&) and
// ScopeBuilder::attach_span. `fill` must not throw. Nothing is attached once the thread's stack is
// gone, or when memory for the stack runs out (reported).
template <class Fill>
void attach_to_this_thread(ContextStack*& stack_out, std::uint64_t& token_out, Fill&& fill) noexcept {
  ContextStack* current = t_stack;
  if (current == nullptr && t_stack_destroyed) return;  // the thread is exiting: nothing to attach to
  try {
    ContextStack& stack = current != nullptr ? *current : create_this_thread_stack();
    const std::uint64_t token = stack.next_token;
    fill(stack.push_empty(token));
    ++stack.next_token;
    stack_out = &stack;
    token_out = token;
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "could not attach a context (out of memory); it is not active");
  }
}
}  // namespace

const Context& current_context_ref() noexcept {
  const ContextStack* stack = t_stack;
  if (stack == nullptr) {
    if (t_stack_destroyed) return empty_context();
    stack = &create_this_thread_stack();
  }
  return stack->current();
}

}  // namespace detail

Context Context::current() noexcept { return detail::current_context_ref(); }

SpanRef Context::span() const noexcept { return SpanRef(span_); }

Context Context::with_span_context(SpanContext span_context) const noexcept {
  Context copy = *this;
  copy.span_context_ = std::move(span_context);
  copy.span_.reset();
  return copy;
}

Context Context::with_span(const SpanRef& span) const noexcept {
  Context copy = *this;
  copy.span_ = span.state_;
  copy.span_context_ = span.context();
  return copy;
}

std::optional<std::string> Context::baggage(std::string_view key) const noexcept {
  if (!baggage_) return std::nullopt;
  const std::string* value = detail::find_baggage_value(*baggage_, key);
  if (value == nullptr) return std::nullopt;
  try {
    return *value;
  } catch (...) {
    return std::nullopt;
  }
}

const std::vector<BaggageEntry>& Context::all_baggage() const noexcept {
  return baggage_ ? *baggage_ : detail::empty_baggage();
}

Context Context::with_baggage(std::string key, std::string value, std::string properties) const noexcept {
  try {
    auto entries = std::make_shared<std::vector<BaggageEntry>>();
    const auto& current = all_baggage();
    entries->reserve(current.size() + 1);
    bool replaced = false;
    for (const auto& entry : current) {
      if (entry.key == key) {
        entries->push_back(BaggageEntry{key, value, properties});
        replaced = true;
      } else {
        entries->push_back(entry);
      }
    }
    if (!replaced) entries->push_back(BaggageEntry{std::move(key), std::move(value), std::move(properties)});
    Context copy = *this;
    copy.baggage_ = std::move(entries);
    return copy;
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "could not add a baggage entry (out of memory)");
    return *this;
  }
}

Context Context::without_baggage(std::string_view key) const noexcept {
  try {
    auto entries = std::make_shared<std::vector<BaggageEntry>>();
    for (const auto& entry : all_baggage()) {
      if (entry.key != key) entries->push_back(entry);
    }
    Context copy = *this;
    copy.baggage_ = std::move(entries);
    return copy;
  } catch (...) {
    return *this;
  }
}

Context Context::with_all_baggage(std::vector<BaggageEntry> entries) const noexcept {
  try {
    Context copy = *this;
    copy.baggage_ = std::make_shared<const std::vector<BaggageEntry>>(std::move(entries));
    return copy;
  } catch (...) {
    return *this;
  }
}

Context Context::with_shared_baggage(std::shared_ptr<const std::vector<BaggageEntry>> entries) const& noexcept {
  Context copy = *this;
  copy.baggage_ = std::move(entries);
  return copy;
}

Context Context::with_shared_baggage(std::shared_ptr<const std::vector<BaggageEntry>> entries) && noexcept {
  baggage_ = std::move(entries);
  return std::move(*this);
}

Scope::Scope(const Context& context) noexcept : Scope(Context(context)) {}

Scope::Scope(Context&& context) noexcept {
  // Moved once, into the stack.
  detail::attach_to_this_thread(stack_, token_, [&](Context& slot) noexcept { slot = std::move(context); });
}

namespace detail {

Scope ScopeBuilder::attach_span(const Context& parent, const SpanRef& span,
                                std::shared_ptr<const std::vector<BaggageEntry>> baggage) noexcept {
  Scope scope;
  // `parent` stays where it is: a new block does not move the entries of the others.
  attach_to_this_thread(scope.stack_, scope.token_, [&](Context& context) noexcept {
    context.span_ = span.state_;
    if (span.state_) context.span_context_ = span.state_->context;
    if (baggage) {
      context.baggage_ = std::move(baggage);
    } else {
      context.baggage_ = parent.baggage_;
    }
  });
  return scope;
}

}  // namespace detail

Scope& Scope::operator=(Scope&& other) noexcept {
  if (this != &other) {
    // `scope = Scope(context)` replaces what this scope holds: its entry, just below the new one,
    // is ended on purpose, not out of order.
    if (stack_ != nullptr) detach_attached(/*replaced=*/true);
    stack_ = other.stack_;
    token_ = other.token_;
    other.stack_ = nullptr;
    other.token_ = 0;
  }
  return *this;
}

void Scope::detach_attached(bool replaced) noexcept {
  detail::ContextStack* stack = stack_;
  stack_ = nullptr;
  detail::ContextStack* const current = detail::t_stack;
  if (current == nullptr && detail::t_stack_destroyed) return;  // the stack, and this entry, are gone already
  if (stack != current) {
    // Another thread's stack must not be touched; that entry stays until its thread exits.
    report_diagnostic(DiagnosticLevel::warning,
                      "a context scope was ended on a thread other than the one that attached it; ignored: that "
                      "thread keeps it (a span ended here stays its current span, the parent of its later spans) "
                      "until it exits. Call Span::deactivate() on the starting thread before handing a span to "
                      "another");
    return;
  }
  const detail::ContextStack::Entry* top = stack->top();
  if (top != nullptr && top->token == token_) {
    stack->pop();
    return;
  }
  for (std::size_t i = 0; i < stack->size(); ++i) {
    if (stack->at(i).token == token_) {
      stack->end_below_top(i);
      if (replaced) return;
      report_diagnostic(
          DiagnosticLevel::warning,
          "context scopes ended out of order; the out-of-order scope was removed, the current context is unchanged");
      return;
    }
  }
  // Not this stack's (tokens are unique to their stack): a scope of a thread that has exited, whose
  // stack this thread's now occupies.
  report_diagnostic(DiagnosticLevel::warning,
                    "a context scope was ended on a thread other than the one that attached it; ignored");
}

Scope scoped_baggage(std::vector<std::pair<std::string, std::string>> entries) noexcept {
  Context context = Context::current();
  for (auto& entry : entries) context = context.with_baggage(std::move(entry.first), std::move(entry.second));
  return Scope(context);
}

}  // namespace honeyhive
