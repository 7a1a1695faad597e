#pragma once

// What hh-local stores for one span or HoneyHive event, built from a decoded OTLP span or from the
// JSON bodies of the HoneyHive Events API. Both sources end up in the same row shape (README.md of
// tools/hh-local lists the mapping).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "honeyhive/core/span_data.hpp"

namespace honeyhive::hhlocal {

struct SpanRecord {
  std::string trace_id;        // 32 lowercase hex
  std::string span_id;         // 16 lowercase hex
  std::string parent_span_id;  // 16 hex, or "" for a root
  std::string session_id;
  std::string event_id;  // the HoneyHive event id (Events API), "" for OTLP spans
  std::string name;
  std::string event_type;  // session, chain, model, tool; "" when unknown
  int kind = 1;            // OTLP SpanKind number (0 = unspecified)
  std::int64_t start_time_ns = 0;
  std::int64_t end_time_ns = 0;
  int status_code = 0;  // OTLP StatusCode number
  std::string status_message;
  bool is_error = false;  // error status or an honeyhive_error attribute / event error
  nlohmann::json inputs = nlohmann::json::object();
  nlohmann::json outputs = nlohmann::json::object();
  nlohmann::json metadata = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json feedback = nlohmann::json::object();
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json attributes = nlohmann::json::object();  // every raw attribute as received
  nlohmann::json events = nlohmann::json::array();       // [{"name", "time_ns", "attributes"}]

  // What the span says about its session (empty when it says nothing).
  std::string project;
  std::string source;
  std::string session_name;
  int session_name_rank = 0;  // 2: an explicit session name, 1: the name of a root span, 0: none
  std::string run_id;
  std::string datapoint_id;
};

// A decoded OTLP span. Its session: attribute honeyhive.session_id (or honeyhive_session_id, or
// traceloop.association.properties.session_id), else its trace id.
SpanRecord record_from_span(const SpanData& span);

// An Events API event body (POST /v1/events, /v1/events/batch items). `default_session_id` is used
// when the event has no session_id (the session in the URL, or a new id). Ids: the trace id is the
// session's UUID without dashes (or a hash of the session id), the span id a hash of event_id, the
// parent a hash of parent_id, so that parent links and the session event line up.
// False (with `error`) when the body is not an object.
bool record_from_event(const nlohmann::json& event, const std::string& default_session_id, SpanRecord& out,
                       std::string& error);

// A session start body (POST /v1/sessions, /session/start): the session's own event, whose event id
// is the session id.
bool record_from_session_start(const nlohmann::json& session, SpanRecord& out, std::string& error);

// The ids an Events API event id maps to (shared with updates that must find the row again).
std::string trace_id_for_session(const std::string& session_id);
std::string span_id_for_event(const std::string& event_id);

// A random UUID v4 (ids the server assigns when the client sent none).
std::string new_uuid();

// The JSON value of an attribute as received (arrays as arrays, NaN/Infinity as strings).
nlohmann::json attribute_json(const AttributeValue& value);

// `value` as compact JSON; invalid UTF-8 in its strings is replaced, never thrown on.
std::string dump_json(const nlohmann::json& value);
// `text` with ASCII letters lowercased (ids and header names; other bytes unchanged).
std::string ascii_lowercase(std::string text);

}  // namespace honeyhive::hhlocal
