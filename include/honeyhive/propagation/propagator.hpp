#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/propagation/carrier.hpp"

namespace honeyhive {

// Injects a context into outbound headers and extracts one from inbound headers
// (OTel "TextMapPropagator"). Implementations are thread-safe and never throw: malformed input
// yields the base context unchanged (plus a counted rejection).
class TextMapPropagator {
 public:
  virtual ~TextMapPropagator() = default;
  virtual void inject(const Context& context, TextMapCarrier& carrier) const noexcept = 0;
  virtual Context extract(const TextMapCarrier& carrier, const Context& base) const noexcept = 0;
  // extract() onto `context` in place: what it returns, without a copy of the context where the
  // propagator can avoid one (CompositePropagator chains its propagators through this). The
  // default assigns extract(carrier, context). A class that overrides both keeps them in step; a
  // subclass of it that overrides extract() must override extract_into() too.
  virtual void extract_into(const TextMapCarrier& carrier, Context& context) const noexcept {
    context = extract(carrier, context);
  }
  // The header names this propagator reads and writes.
  virtual std::vector<std::string> fields() const = 0;

 protected:
  // For extract_into, in place: what context.with_span_context(parent) returns (the parent, no
  // local span), and what context.with_all_baggage(entries) returns.
  static void set_parent(Context& context, SpanContext parent) noexcept {
    context.span_context_ = std::move(parent);
    context.span_.reset();
  }
  static void set_all_baggage(Context& context, std::vector<BaggageEntry> entries) noexcept {
    try {
      context.baggage_ = std::make_shared<const std::vector<BaggageEntry>>(std::move(entries));
    } catch (...) {
      // Out of memory: the context keeps the baggage it had.
    }
  }
};

// What inbound (remote) baggage may do. The keys the HoneyHive SDKs give meaning to fall into
// three groups (docs/propagation.md):
//  - correlation: session_id, session_name, source, parent_id — accepted by default, so a session
//    started in another service (e.g. the Python SDK) continues here;
//  - routing: project, honeyhive_tracer_id — which tracer/project spans land in; dropped from
//    inbound baggage unless `trust_inbound_routing`;
//  - evaluation lineage: run_id, dataset_id, datapoint_id — dropped unless `trust_inbound_evaluation`.
// Every other key is the application's and passes through. In-process baggage (set through
// Context::with_baggage / scoped_baggage) is always trusted.
struct InboundBaggagePolicy {
  bool trust_inbound_routing = false;
  bool trust_inbound_evaluation = false;
};

enum class BaggageKeyClass : std::uint8_t { application, correlation, routing, evaluation };
BaggageKeyClass classify_baggage_key(std::string_view key) noexcept;

// Counters of one propagator, readable at any time.
struct PropagationStats {
  std::uint64_t traceparent_rejected = 0;       // present but invalid
  std::uint64_t tracestate_rejected = 0;        // present, traceparent valid, tracestate invalid
  std::uint64_t baggage_invalid_members = 0;    // malformed list-members skipped
  std::uint64_t baggage_dropped_members = 0;    // valid members dropped by the 64 / 8192 limits
  std::uint64_t baggage_untrusted_members = 0;  // routing / evaluation keys refused by the policy
};

// `traceparent` + `tracestate`.
class TraceContextPropagator final : public TextMapPropagator {
 public:
  void inject(const Context& context, TextMapCarrier& carrier) const noexcept override;
  Context extract(const TextMapCarrier& carrier, const Context& base) const noexcept override;
  void extract_into(const TextMapCarrier& carrier, Context& context) const noexcept override;
  std::vector<std::string> fields() const override { return {"traceparent", "tracestate"}; }
  PropagationStats stats() const noexcept;

 private:
  mutable std::atomic<std::uint64_t> traceparent_rejected_{0};
  mutable std::atomic<std::uint64_t> tracestate_rejected_{0};
};

// `baggage`, with the inbound policy above.
class BaggagePropagator final : public TextMapPropagator {
 public:
  explicit BaggagePropagator(InboundBaggagePolicy policy = {}) noexcept : policy_(policy) {}
  void inject(const Context& context, TextMapCarrier& carrier) const noexcept override;
  Context extract(const TextMapCarrier& carrier, const Context& base) const noexcept override;
  void extract_into(const TextMapCarrier& carrier, Context& context) const noexcept override;
  std::vector<std::string> fields() const override { return {"baggage"}; }
  PropagationStats stats() const noexcept;

 private:
  static void report_dropped(std::size_t count, const char* where) noexcept;

  InboundBaggagePolicy policy_;
  mutable std::atomic<std::uint64_t> invalid_{0};
  mutable std::atomic<std::uint64_t> dropped_{0};
  mutable std::atomic<std::uint64_t> untrusted_{0};
};

// Runs several propagators in order (inject: all write; extract: each builds on the previous).
class CompositePropagator final : public TextMapPropagator {
 public:
  explicit CompositePropagator(std::vector<std::shared_ptr<TextMapPropagator>> propagators) noexcept;
  void inject(const Context& context, TextMapCarrier& carrier) const noexcept override;
  Context extract(const TextMapCarrier& carrier, const Context& base) const noexcept override;
  void extract_into(const TextMapCarrier& carrier, Context& context) const noexcept override;
  std::vector<std::string> fields() const override;
  const std::vector<std::shared_ptr<TextMapPropagator>>& propagators() const noexcept { return propagators_; }

 private:
  std::vector<std::shared_ptr<TextMapPropagator>> propagators_;
};

// tracecontext + baggage.
std::shared_ptr<TextMapPropagator> make_default_propagator(InboundBaggagePolicy policy = {});
// From OTEL_PROPAGATORS (comma-separated: tracecontext, baggage, none; default
// "tracecontext,baggage"). Unsupported names (b3, jaeger, ...) are reported and skipped.
std::shared_ptr<TextMapPropagator> propagator_from_env(InboundBaggagePolicy policy = {});

// Convenience: inject the current context / extract onto the current context with the default
// propagator (tracecontext + baggage, default policy).
void inject_current(TextMapCarrier& carrier) noexcept;
Context extract_onto_current(const TextMapCarrier& carrier) noexcept;
// The counters of the propagator those two use (rejected traceparents, dropped baggage members, ...).
PropagationStats default_propagation_stats() noexcept;

}  // namespace honeyhive
