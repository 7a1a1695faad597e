#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "honeyhive/core/span_context.hpp"

namespace honeyhive {

namespace detail {
struct SpanState;
struct ContextStack;
struct ScopeBuilder;
struct StaticKeyTexts;
}  // namespace detail

class SpanRef;
class TextMapPropagator;

// One W3C baggage list-member: key, (decoded) value and its raw properties ("k=v;flag").
struct BaggageEntry {
  std::string key;
  std::string value;
  std::string properties;

  friend bool operator==(const BaggageEntry& a, const BaggageEntry& b) {
    return a.key == b.key && a.value == b.value && a.properties == b.properties;
  }
};

// An immutable bag of what is "current" for a unit of work: the active span (local or remote
// parent) and the baggage. Copying is cheap (shared, reference-counted). Thread-safe to share.
class Context {
 public:
  Context() = default;

  // This thread's active context (the empty context when nothing is attached).
  static Context current() noexcept;

  // The span context of the active span, or of the remote parent; invalid when there is none.
  const SpanContext& span_context() const noexcept { return span_context_; }
  // The active local span, for enrichment; a no-op reference when the parent is remote or absent.
  SpanRef span() const noexcept;

  // A copy whose parent is `span_context` (typically extracted from inbound headers; no local span).
  Context with_span_context(SpanContext span_context) const noexcept;
  // A copy whose active span is `span`.
  Context with_span(const SpanRef& span) const noexcept;

  // Baggage. Keys are matched exactly (case-sensitive, as W3C Baggage says).
  std::optional<std::string> baggage(std::string_view key) const noexcept;
  const std::vector<BaggageEntry>& all_baggage() const noexcept;
  Context with_baggage(std::string key, std::string value, std::string properties = {}) const noexcept;
  Context without_baggage(std::string_view key) const noexcept;
  Context with_all_baggage(std::vector<BaggageEntry> entries) const noexcept;
  // A copy whose baggage is `entries`, shared as it is (no copy; null means none). For a list put on
  // many contexts, such as the one a tracer adds to every root span.
  Context with_shared_baggage(std::shared_ptr<const std::vector<BaggageEntry>> entries) const& noexcept;
  // The same from a context about to be discarded (a temporary): its parts are moved, not copied.
  Context with_shared_baggage(std::shared_ptr<const std::vector<BaggageEntry>> entries) && noexcept;

 private:
  friend class SpanRef;
  friend class TextMapPropagator;      // extracts onto a context in place
  friend struct detail::ScopeBuilder;  // builds a context in place on the thread's stack
  SpanContext span_context_;
  std::shared_ptr<detail::SpanState> span_;
  std::shared_ptr<const std::vector<BaggageEntry>> baggage_;
};

// Keeps a context attached to this thread until destroyed (RAII). Move-only.
// Scopes should end in reverse order; one that ends out of order is still removed from the
// stack (so the context that was active before it is restored once every later scope ends)
// and a diagnostic is reported. A scope must end on the thread that created it.
class [[nodiscard]] Scope {
 public:
  Scope() = default;
  explicit Scope(const Context& context) noexcept;
  explicit Scope(Context&& context) noexcept;
  ~Scope() { detach(); }
  Scope(Scope&& other) noexcept : stack_(other.stack_), token_(other.token_) {
    other.stack_ = nullptr;
    other.token_ = 0;
  }
  Scope& operator=(Scope&& other) noexcept;
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  // Ends the scope early; harmless to call twice.
  void detach() noexcept {
    if (stack_ != nullptr) detach_attached();
  }

 private:
  // Ends this scope's entry; `replaced`: by a move-assignment, which ends it below the new one on
  // purpose (not reported as out of order).
  void detach_attached(bool replaced = false) noexcept;
  friend struct detail::ScopeBuilder;

  detail::ContextStack* stack_ = nullptr;
  std::uint64_t token_ = 0;
};

// Attaches `context` to this thread for the lifetime of the returned scope.
inline Scope attach_context(const Context& context) noexcept { return Scope(context); }

// Adds baggage entries to the current context for the lifetime of the returned scope.
Scope scoped_baggage(std::vector<std::pair<std::string, std::string>> entries) noexcept;

// Wraps `fn` so that it runs with `context` attached, on whatever thread calls it (thread pools,
// std::thread, task queues). The wrapper copies the context; it is safe to call more than once.
template <class F>
auto wrap_with_context(Context context, F fn) {
  return [context = std::move(context), fn = std::move(fn)](auto&&... args) mutable -> decltype(auto) {
    Scope scope(context);
    return fn(std::forward<decltype(args)>(args)...);
  };
}

// wrap_with_context(Context::current(), fn): carries the caller's context into the task.
template <class F>
auto bind_current_context(F fn) {
  return wrap_with_context(Context::current(), std::move(fn));
}

// The same, under the name the tracer API uses: run `fn` on another thread or executor with the
// caller's active span, session and tracer.
template <class F>
auto bind_context(F fn) {
  return bind_current_context(std::move(fn));
}

}  // namespace honeyhive
