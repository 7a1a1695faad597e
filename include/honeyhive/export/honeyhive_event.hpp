#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/ids.hpp"
#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// The HoneyHive event id of a span: a UUID (version 8, RFC 9562 section 5.8) whose 16 bytes are
// the trace id XOR (span id, span id). Deterministic, so a child names its parent's event without a
// lookup, and distinct for the spans of one trace. Lowercase, 36 characters.
std::string honeyhive_event_id(const TraceId& trace_id, const SpanId& span_id);

// Rebuilds the structured value stored under `prefix` by SpanRef::set_structured: the attributes
// `prefix.a.b` become {"a": {"b": ...}}, arrays come back as arrays (also those stored as one JSON
// string), "{}" as an empty object. A value stored at `prefix` itself comes back as {"value": v}.
// The result is always an object ({} when nothing is stored). Keys that contained dots come back
// nested (flattening cannot tell them apart).
nlohmann::json unflatten_attributes(const Attributes& attributes, std::string_view prefix);

// What a finished span is for the HoneyHive Events API.
enum class HoneyHiveSpanRole : std::uint8_t {
  event,               // an event (POST /v1/events[/batch])
  session_start,       // the session event the tracer emits at session start (POST /v1/sessions)
  session_enrichment,  // HoneyHiveTracer::enrich_session (PUT /v1/events/{session_id})
};
HoneyHiveSpanRole honeyhive_span_role(const SpanData& span) noexcept;

// The event body of POST /v1/events for a finished span (docs/honeyhive-api.md lists the fields):
// event_id, parent_id (the parent span's event, else baggage parent_id, else the session),
// session_id, source, event_type, event_name, inputs, outputs, metadata (with the span's other
// attributes), metrics, feedback, config, user_properties, error, start_time, end_time (Unix ms)
// and duration (ms). Throws only std::bad_alloc.
nlohmann::json span_to_honeyhive_event(const SpanData& span);

// The session body of POST /v1/sessions for a session_start span: session_id, session_name,
// source, start_time, end_time, duration, and the inputs, outputs, metadata, user_properties and
// config that are not empty.
nlohmann::json span_to_honeyhive_session(const SpanData& span);

// What of a session_start span the session body cannot carry, as the body of PUT
// /v1/events/{session_id}: metrics, feedback, and the error as metadata.error. {} when the span has
// none of them (then no update is needed).
nlohmann::json span_to_honeyhive_session_update(const SpanData& span);

// The body of PUT /v1/events/{event_id} for a session_enrichment span (inputs and error, which the
// update does not take, go into metadata as the reference SDK does).
nlohmann::json span_to_honeyhive_event_update(const SpanData& span);

// The session id a span belongs to (attribute honeyhive.session_id), or "" when it has none.
std::string honeyhive_session_id_of(const SpanData& span);

}  // namespace honeyhive
