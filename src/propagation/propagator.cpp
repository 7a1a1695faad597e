#include "honeyhive/propagation/propagator.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/env.hpp"
#include "core/reserved_baggage.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/propagation/baggage.hpp"
#include "honeyhive/propagation/trace_context.hpp"
#include "propagation/trace_context_internal.hpp"

namespace honeyhive {
namespace {

constexpr std::string_view kTraceparent = "traceparent";
constexpr std::string_view kTracestate = "tracestate";
constexpr std::string_view kBaggage = "baggage";

// Carrier reads may call user callbacks or allocate; a failure counts as "header absent".
// The view is valid until the carrier or `storage` changes.
[[gnu::always_inline]] inline std::optional<std::string_view> safe_get(const TextMapCarrier& carrier,
                                                                       std::string_view key,
                                                                       std::string& storage) noexcept {
  try {
    return carrier.get_view(key, storage);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

BaggageKeyClass classify_baggage_key(std::string_view key) noexcept {
  switch (detail::reserved_baggage_key(key)) {
    case detail::kBaggageSessionId:
    case detail::kBaggageSessionName:
    case detail::kBaggageSource:
    case detail::kBaggageParentId: return BaggageKeyClass::correlation;
    case detail::kBaggageProject:
    case detail::kBaggageTracerId: return BaggageKeyClass::routing;
    case detail::kBaggageRunId:
    case detail::kBaggageDatasetId:
    case detail::kBaggageDatapointId: return BaggageKeyClass::evaluation;
    case detail::kNotReservedBaggage: break;
  }
  return BaggageKeyClass::application;
}

void TraceContextPropagator::inject(const Context& context, TextMapCarrier& carrier) const noexcept {
  try {
    const SpanContext& span_context = context.span_context();
    if (!span_context.is_valid()) return;
    // Both headers are formatted on the stack: the carrier makes the only copy.
    char traceparent[trace_context::kTraceparentLength];
    trace_context::format_traceparent(span_context, traceparent);
    carrier.set(kTraceparent, std::string_view(traceparent, sizeof traceparent));
    if (const auto& trace_state = span_context.trace_state_ptr(); trace_state != nullptr && !trace_state->empty()) {
      char state[trace_context::kMaxTraceStateLength];
      const std::size_t length = trace_context::detail::write_tracestate(*trace_state, sizeof state, state);
      if (length > 0) carrier.set(kTracestate, std::string_view(state, length));
    }
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "traceparent inject failed; the request goes out without it");
  }
}

Context TraceContextPropagator::extract(const TextMapCarrier& carrier, const Context& base) const noexcept {
  Context context = base;
  extract_into(carrier, context);
  return context;
}

void TraceContextPropagator::extract_into(const TextMapCarrier& carrier, Context& context) const noexcept {
  try {
    std::string storage;  // used only by carriers that cannot lend a view of their value
    const auto traceparent = safe_get(carrier, kTraceparent, storage);
    if (!traceparent) return;
    const auto parsed = trace_context::parse_traceparent(*traceparent);
    if (!parsed) {
      // Section 3.2.1 / 3.3.1: an invalid traceparent means no parent; tracestate is discarded too.
      traceparent_rejected_.fetch_add(1, std::memory_order_relaxed);
      report_diagnostic(DiagnosticLevel::debug, "inbound traceparent is invalid; starting a new trace");
      return;
    }
    std::shared_ptr<const TraceState> state;
    if (const auto tracestate = safe_get(carrier, kTracestate, storage)) {
      if (auto parsed_state = trace_context::parse_tracestate(*tracestate)) {
        if (!parsed_state->empty()) state = std::make_shared<const TraceState>(std::move(*parsed_state));
      } else {
        tracestate_rejected_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    set_parent(context,
               SpanContext(parsed->trace_id(), parsed->span_id(), parsed->flags(), /*remote=*/true, std::move(state)));
  } catch (...) {
    // The context stays as it was.
  }
}

PropagationStats TraceContextPropagator::stats() const noexcept {
  PropagationStats stats;
  stats.traceparent_rejected = traceparent_rejected_.load(std::memory_order_relaxed);
  stats.tracestate_rejected = tracestate_rejected_.load(std::memory_order_relaxed);
  return stats;
}

void BaggagePropagator::inject(const Context& context, TextMapCarrier& carrier) const noexcept {
  try {
    const auto& entries = context.all_baggage();
    if (entries.empty()) return;
    std::size_t dropped = 0;
    char buffer[baggage::kMaxBytes];  // the carrier makes the only copy
    const std::string_view header = baggage::format_into(entries, buffer, &dropped);
    if (dropped > 0) {
      dropped_.fetch_add(dropped, std::memory_order_relaxed);
      report_dropped(dropped, "inject");
    }
    if (!header.empty()) carrier.set(kBaggage, header);
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "baggage inject failed; the request goes out without it");
  }
}

Context BaggagePropagator::extract(const TextMapCarrier& carrier, const Context& base) const noexcept {
  Context context = base;
  extract_into(carrier, context);
  return context;
}

void BaggagePropagator::extract_into(const TextMapCarrier& carrier, Context& context) const noexcept {
  try {
    std::string storage;
    const auto header = safe_get(carrier, kBaggage, storage);
    if (!header) return;
    baggage::ParseResult parsed = baggage::parse(*header);
    if (parsed.invalid > 0) invalid_.fetch_add(parsed.invalid, std::memory_order_relaxed);
    if (parsed.dropped > 0) {
      dropped_.fetch_add(parsed.dropped, std::memory_order_relaxed);
      report_dropped(parsed.dropped, "extract");
    }
    // Entries the inbound policy refuses are taken out; parse() already kept one entry per key.
    std::vector<BaggageEntry>& inbound = parsed.entries;
    std::size_t untrusted = 0;
    inbound.erase(std::remove_if(inbound.begin(), inbound.end(),
                                 [&](const BaggageEntry& entry) {
                                   const BaggageKeyClass key_class = classify_baggage_key(entry.key);
                                   const bool refused =
                                       (key_class == BaggageKeyClass::routing && !policy_.trust_inbound_routing) ||
                                       (key_class == BaggageKeyClass::evaluation && !policy_.trust_inbound_evaluation);
                                   untrusted += refused ? 1 : 0;
                                   return refused;
                                 }),
                  inbound.end());
    const std::vector<BaggageEntry>& current = context.all_baggage();
    if (inbound.empty()) {
      // Nothing to add.
    } else if (current.empty()) {
      set_all_baggage(context, std::move(inbound));
    } else {
      // One merged copy (inbound entries override the context's), attached once. The context's
      // entries are never removed: at the limits, new inbound members (and overrides that would not
      // fit) are dropped and counted, so repeated extracts cannot grow a context without bound.
      std::vector<BaggageEntry> merged = current;
      if (const std::size_t cut = baggage::merge_within_limits(merged, std::move(inbound)); cut > 0) {
        dropped_.fetch_add(cut, std::memory_order_relaxed);
        report_dropped(cut, "extract");
      }
      set_all_baggage(context, std::move(merged));
    }
    if (untrusted > 0) {
      untrusted_.fetch_add(untrusted, std::memory_order_relaxed);
      // Per request: the message is built only for a sink that takes debug lines.
      if (diagnostic_accepted(DiagnosticLevel::debug)) {
        report_diagnostic(DiagnosticLevel::debug, "inbound baggage: " + std::to_string(untrusted) +
                                                      " routing/evaluation entries refused by the inbound policy");
      }
    }
  } catch (...) {
    // The context stays as it was.
  }
}

// Per request: a debug line, built only for a sink that takes them (the count is in stats()).
void BaggagePropagator::report_dropped(std::size_t count, const char* where) noexcept {
  try {
    if (!diagnostic_accepted(DiagnosticLevel::debug)) return;
    report_diagnostic(DiagnosticLevel::debug, std::string("baggage ") + where + ": " + std::to_string(count) +
                                                  " member(s) past the 64-member / 8192-byte limit left out");
  } catch (...) {
    // The line is lost; the count is kept.
  }
}

PropagationStats BaggagePropagator::stats() const noexcept {
  PropagationStats stats;
  stats.baggage_invalid_members = invalid_.load(std::memory_order_relaxed);
  stats.baggage_dropped_members = dropped_.load(std::memory_order_relaxed);
  stats.baggage_untrusted_members = untrusted_.load(std::memory_order_relaxed);
  return stats;
}

CompositePropagator::CompositePropagator(std::vector<std::shared_ptr<TextMapPropagator>> propagators) noexcept
    : propagators_(std::move(propagators)) {}

void CompositePropagator::inject(const Context& context, TextMapCarrier& carrier) const noexcept {
  for (const auto& propagator : propagators_) {
    if (propagator) propagator->inject(context, carrier);
  }
}

Context CompositePropagator::extract(const TextMapCarrier& carrier, const Context& base) const noexcept {
  Context context = base;
  extract_into(carrier, context);
  return context;
}

void CompositePropagator::extract_into(const TextMapCarrier& carrier, Context& context) const noexcept {
  for (const auto& propagator : propagators_) {
    if (propagator) propagator->extract_into(carrier, context);
  }
}

std::vector<std::string> CompositePropagator::fields() const {
  std::vector<std::string> out;
  for (const auto& propagator : propagators_) {
    if (!propagator) continue;
    for (auto& field : propagator->fields()) out.push_back(std::move(field));
  }
  return out;
}

std::shared_ptr<TextMapPropagator> make_default_propagator(InboundBaggagePolicy policy) {
  return std::make_shared<CompositePropagator>(std::vector<std::shared_ptr<TextMapPropagator>>{
      std::make_shared<TraceContextPropagator>(), std::make_shared<BaggagePropagator>(policy)});
}

std::shared_ptr<TextMapPropagator> propagator_from_env(InboundBaggagePolicy policy) {
  const auto configured = detail::get_env("OTEL_PROPAGATORS");
  if (!configured) return make_default_propagator(policy);
  std::vector<std::shared_ptr<TextMapPropagator>> propagators;
  bool has_trace_context = false;
  bool has_baggage = false;
  std::string_view rest = *configured;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    // Enum values of OTel environment variables are case-insensitive (SDK configuration spec).
    std::string name(detail::trim(rest.substr(0, comma)));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (name == "none") return std::make_shared<CompositePropagator>(std::vector<std::shared_ptr<TextMapPropagator>>{});
    if (name == "tracecontext") {
      if (!has_trace_context) propagators.push_back(std::make_shared<TraceContextPropagator>());
      has_trace_context = true;
    } else if (name == "baggage") {
      if (!has_baggage) propagators.push_back(std::make_shared<BaggagePropagator>(policy));
      has_baggage = true;
    } else if (!name.empty()) {
      report_diagnostic(DiagnosticLevel::warning, "OTEL_PROPAGATORS: '" + name + "' is not supported; skipping it");
    }
  }
  return std::make_shared<CompositePropagator>(std::move(propagators));
}

namespace {
const TextMapPropagator& default_propagator() {
  // Leaked on purpose: usable during static destruction.
  static const auto* instance = new std::shared_ptr<TextMapPropagator>(make_default_propagator());
  return **instance;
}
}  // namespace

void inject_current(TextMapCarrier& carrier) noexcept {
  try {
    default_propagator().inject(Context::current(), carrier);
  } catch (...) {
  }
}

PropagationStats default_propagation_stats() noexcept {
  PropagationStats total;
  try {
    const auto* composite = dynamic_cast<const CompositePropagator*>(&default_propagator());
    if (composite == nullptr) return total;
    for (const auto& propagator : composite->propagators()) {
      PropagationStats part;
      if (const auto* trace = dynamic_cast<const TraceContextPropagator*>(propagator.get())) part = trace->stats();
      if (const auto* bag = dynamic_cast<const BaggagePropagator*>(propagator.get())) part = bag->stats();
      total.traceparent_rejected += part.traceparent_rejected;
      total.tracestate_rejected += part.tracestate_rejected;
      total.baggage_invalid_members += part.baggage_invalid_members;
      total.baggage_dropped_members += part.baggage_dropped_members;
      total.baggage_untrusted_members += part.baggage_untrusted_members;
    }
  } catch (...) {
  }
  return total;
}

Context extract_onto_current(const TextMapCarrier& carrier) noexcept {
  try {
    return default_propagator().extract(carrier, Context::current());
  } catch (...) {
    return Context::current();
  }
}

}  // namespace honeyhive
