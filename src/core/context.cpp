#include "honeyhive/core/context.hpp"

#include <atomic>
#include <thread>

#include "core/baggage_find.hpp"
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
// Scope that attached them, so an out-of-order detach removes exactly its own entry.
struct ContextStack {
  struct Entry {
    Entry(std::uint64_t token_value, Context&& attached) noexcept : token(token_value), context(std::move(attached)) {}
    std::uint64_t token;
    Context context;
  };
  std::vector<Entry> entries;
  std::uint64_t next_token = 1;
  const Context empty;  // current when nothing is attached

  ContextStack() noexcept {
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
}  // namespace

const Context& current_context_ref() noexcept {
  const ContextStack* stack = t_stack;
  if (stack == nullptr) {
    if (t_stack_destroyed) return empty_context();
    stack = &create_this_thread_stack();
  }
  return stack->entries.empty() ? stack->empty : stack->entries.back().context;
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

Context Context::with_shared_baggage(std::shared_ptr<const std::vector<BaggageEntry>> entries) const noexcept {
  Context copy = *this;
  copy.baggage_ = std::move(entries);
  return copy;
}

Scope::Scope(const Context& context) noexcept : Scope(Context(context)) {}

Scope::Scope(Context&& context) noexcept {
  detail::ContextStack* current = detail::t_stack;
  if (current == nullptr && detail::t_stack_destroyed) return;  // the thread is exiting: nothing to attach to
  try {
    detail::ContextStack& stack = current != nullptr ? *current : detail::create_this_thread_stack();
    const std::uint64_t token = stack.next_token++;
    stack.entries.emplace_back(token, std::move(context));  // moved once, into the stack
    stack_ = &stack;
    token_ = token;
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "could not attach a context (out of memory); it is not active");
  }
}

Scope& Scope::operator=(Scope&& other) noexcept {
  if (this != &other) {
    detach();
    stack_ = other.stack_;
    token_ = other.token_;
    other.stack_ = nullptr;
    other.token_ = 0;
  }
  return *this;
}

void Scope::detach_attached() noexcept {
  detail::ContextStack* stack = stack_;
  stack_ = nullptr;
  detail::ContextStack* const current = detail::t_stack;
  if (current == nullptr && detail::t_stack_destroyed) return;  // the stack, and this entry, are gone already
  if (stack != current) {
    // Another thread's stack must not be touched; that entry stays until its thread exits.
    report_diagnostic(DiagnosticLevel::warning,
                      "a context scope was ended on a thread other than the one that attached it; ignored");
    return;
  }
  auto& entries = stack->entries;
  if (!entries.empty() && entries.back().token == token_) {
    entries.pop_back();
    return;
  }
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->token == token_) {
      entries.erase(it);
      report_diagnostic(
          DiagnosticLevel::warning,
          "context scopes ended out of order; the out-of-order scope was removed, the current context is unchanged");
      return;
    }
  }
}

Scope scoped_baggage(std::vector<std::pair<std::string, std::string>> entries) noexcept {
  Context context = Context::current();
  for (auto& entry : entries) context = context.with_baggage(std::move(entry.first), std::move(entry.second));
  return Scope(context);
}

}  // namespace honeyhive
