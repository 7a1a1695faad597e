#include "honeyhive/core/tracer.hpp"

#include <new>

#include "core/bytes.hpp"
#include "core/current_context.hpp"
#include "core/random.hpp"
#include "core/span_clock.hpp"
#include "core/span_record_pool.hpp"
#include "core/utf8.hpp"
#include "honeyhive/core/diagnostics.hpp"

namespace honeyhive {

Tracer::Tracer(std::shared_ptr<Provider> provider, std::shared_ptr<const InstrumentationScope> scope) noexcept
    : provider_(std::move(provider)), scope_(std::move(scope)) {}

namespace {

// The attributes of default options: none. Never destroyed, so spans can still start during
// static destruction.
const Attributes& no_attributes() noexcept {
  static const Attributes* const kNone = new (std::nothrow) Attributes();
  if (kNone != nullptr) return *kNone;
  static const Attributes kFallback;  // only if that allocation failed
  return kFallback;
}

}  // namespace

Span Tracer::start_span(std::string_view name) noexcept { return start(name, nullptr); }

Span Tracer::start_span(std::string_view name, const StartSpanOptions& options) noexcept {
  return start(name, &options);
}

Span Tracer::start(std::string_view name, const StartSpanOptions* options) noexcept {
  try {
    if (provider_->is_shut_down()) return Span();
    // Null options are the defaults: a child of the current context, internal, nothing else.
    const Context& parent = options != nullptr && options->parent ? *options->parent : detail::current_context_ref();
    const SpanKind kind = options != nullptr ? options->kind : SpanKind::internal;
    const Attributes& initial_attributes = options != nullptr ? options->attributes : no_attributes();
    const SpanContext& parent_context = parent.span_context();
    const bool has_parent = parent_context.is_valid();
    TraceId trace_id;
    SpanId span_id;
    detail::RandomState& random = detail::thread_random_state();
    if (has_parent) {
      trace_id = parent_context.trace_id();
      span_id = detail::random_span_id(random);
    } else {
      detail::random_root_ids(random, trace_id, span_id);
    }

    const SamplingResult sampling = provider_->sampler().should_sample(
        SamplingParameters{parent_context, trace_id, name, kind, initial_attributes});
    const bool recording = sampling.decision != SamplingDecision::drop;
    const bool sampled = sampling.decision == SamplingDecision::record_and_sample;
    auto trace_state = sampling.trace_state ? sampling.trace_state : parent_context.trace_state_ptr();

    // One record for the control block and the state, recycled through the span record pool.
    auto state = detail::make_span_state();
    state->recording = recording;
    // Trace Context Level 2 "random" flag: our root trace ids are random; a child keeps its parent's bit.
    const std::uint8_t random_flag =
        has_parent ? (parent_context.flags().value & TraceFlags::kRandom) : TraceFlags::kRandom;
    const auto flags = static_cast<std::uint8_t>((sampled ? TraceFlags::kSampled : 0U) | random_flag);
    state->context = SpanContext(trace_id, span_id, TraceFlags{flags}, false, std::move(trace_state));
    if (!recording) return Span(std::move(state));

    state->provider = provider_;
    state->limits = provider_->limits();
    // Writes in sequence stay within this provider's limit (the record's last span may have had
    // another's).
    if (state->distinct_slots > state->limits.attribute_count) state->distinct_slots = state->limits.attribute_count;
    state->content = provider_->content_policy();
    state->parent_span_id = has_parent ? parent_context.span_id() : SpanId();
    state->parent_is_remote = has_parent && parent_context.is_remote();
    // A recycled record still holds its last span's name: often the same one.
    detail::store_repaired_text(state->name, name);
    state->kind = kind;
    // A recycled record keeps its last span's resource and scope: usually the same ones.
    if (state->resource != provider_->resource()) state->resource = provider_->resource();
    if (state->scope != scope_) state->scope = scope_;
    if (options != nullptr && options->start_unix_nanos != 0) {
      state->start_unix_nanos = options->start_unix_nanos;
    } else {
      const detail::SpanStartTime now = detail::span_start_time();
      state->start_steady_nanos = now.steady_nanos;
      state->start_unix_nanos = now.unix_nanos;
    }

    Span span(std::move(state));
    if (options != nullptr) {
      for (const auto& attribute : options->attributes) span.set_attribute_value(attribute.key, attribute.value);
      for (const auto& link : options->links) span.add_link(link.context, link.attributes);
    }
    for (const auto& processor : provider_->processors()) processor->on_start(span, parent);
    return span;
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "start_span failed; returning a no-op span");
    return Span();
  }
}

}  // namespace honeyhive
