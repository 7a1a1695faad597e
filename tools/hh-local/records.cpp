#include "records.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <type_traits>
#include <variant>

#include "honeyhive/export/honeyhive_event.hpp"

namespace honeyhive::hhlocal {
namespace {

using json = nlohmann::json;

// The span setters' prefixes and the fields they fill (docs/honeyhive-attributes.md).
constexpr std::array<const char*, 6> kStructuredPrefixes = {"honeyhive_inputs",   "honeyhive_outputs",
                                                            "honeyhive_metadata", "honeyhive_metrics",
                                                            "honeyhive_feedback", "honeyhive_config"};

json number_or_name(double value) {
  if (std::isfinite(value)) return value;
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

const std::string* string_attribute(const SpanData& span, std::string_view key) {
  const AttributeValue* value = span.find_attribute(key);
  return value ? std::get_if<std::string>(value) : nullptr;
}

const std::string* resource_string(const SpanData& span, std::string_view key) {
  if (!span.resource) return nullptr;
  const AttributeValue* value = span.resource->find(key);
  return value ? std::get_if<std::string>(value) : nullptr;
}

// The first of `keys` the span (then its resource) has as a string attribute.
std::string first_string(const SpanData& span, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (const auto* value = string_attribute(span, key)) return *value;
  }
  for (const char* key : keys) {
    if (const auto* value = resource_string(span, key)) return *value;
  }
  return "";
}

std::uint64_t fnv1a(std::string_view text, std::uint64_t seed) {
  std::uint64_t hash = seed;
  for (const char c : text) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash == 0 ? 1 : hash;
}

std::string hex64(std::uint64_t value) {
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(value));
  return out;
}

bool is_hex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return dump_json(*it);
}

// An object field; a non-object value is kept as {"value": v}, as the SDK does for the API.
json object_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return json::object();
  if (it->is_object()) return *it;
  return json{{"value", *it}};
}

// Unix milliseconds (integer or fractional) as nanoseconds; nullopt when absent or not a number.
std::optional<std::int64_t> ms_to_ns(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  const double ms = it->get<double>();
  if (!std::isfinite(ms) || std::fabs(ms) > 9.2e12) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(ms * 1e6));
}

void fill_times(const json& body, SpanRecord& out) {
  const auto start = ms_to_ns(body, "start_time");
  const auto end = ms_to_ns(body, "end_time");
  const auto duration = ms_to_ns(body, "duration");
  const std::int64_t now_ns = static_cast<std::int64_t>(now_unix_nanos());
  out.start_time_ns = start ? *start : (end && duration ? *end - *duration : now_ns);
  out.end_time_ns = end ? *end : (duration ? out.start_time_ns + *duration : out.start_time_ns);
}

void fill_session_keys(SpanRecord& out) {
  const auto run = out.metadata.find("run_id");
  if (run != out.metadata.end() && run->is_string()) out.run_id = run->get<std::string>();
  const auto datapoint = out.metadata.find("datapoint_id");
  if (datapoint != out.metadata.end() && datapoint->is_string()) out.datapoint_id = datapoint->get<std::string>();
}

}  // namespace

json attribute_json(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
          return number_or_name(v);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          json out = json::array();
          for (double d : v) out.push_back(number_or_name(d));
          return out;
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          json out = json::array();
          for (bool b : v) out.push_back(b);
          return out;
        } else {
          return json(v);
        }
      },
      value);
}

std::string trace_id_for_session(const std::string& session_id) {
  std::string compact;
  for (const char c : session_id) {
    if (c != '-') compact += c;
  }
  compact = ascii_lowercase(compact);
  if (compact.size() == 32 && is_hex(compact) && compact != std::string(32, '0')) return compact;
  return hex64(fnv1a(session_id, 0xcbf29ce484222325ULL)) + hex64(fnv1a(session_id, 0x84222325cbf29ce4ULL));
}

std::string span_id_for_event(const std::string& event_id) {
  return hex64(fnv1a(ascii_lowercase(event_id), 0xcbf29ce484222325ULL));
}

std::string new_uuid() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = generator();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | 0x40U);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);
  char out[37];
  std::snprintf(out, sizeof(out), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return out;
}

SpanRecord record_from_span(const SpanData& span) {
  SpanRecord out;
  out.trace_id = span.context.trace_id().to_hex();
  out.span_id = span.context.span_id().to_hex();
  if (span.parent_span_id.is_valid()) out.parent_span_id = span.parent_span_id.to_hex();
  out.name = span.name;
  out.kind = static_cast<int>(span.kind);
  out.start_time_ns = static_cast<std::int64_t>(span.start_unix_nanos);
  out.end_time_ns = static_cast<std::int64_t>(span.end_unix_nanos);
  out.status_code = static_cast<int>(span.status.code);
  out.status_message = span.status.description;
  if (const auto* type = string_attribute(span, "honeyhive_event_type")) out.event_type = *type;

  json* targets[] = {&out.inputs, &out.outputs, &out.metadata, &out.metrics, &out.feedback, &out.config};
  for (std::size_t i = 0; i < kStructuredPrefixes.size(); ++i) {
    *targets[i] = unflatten_attributes(span.attributes, kStructuredPrefixes[i]);
  }
  for (const Attribute& attribute : span.attributes) out.attributes[attribute.key] = attribute_json(attribute.value);
  for (const SpanEvent& event : span.events) {
    json attributes = json::object();
    for (const Attribute& attribute : event.attributes) attributes[attribute.key] = attribute_json(attribute.value);
    out.events.push_back({{"name", event.name},
                          {"time_ns", static_cast<std::int64_t>(event.time_unix_nanos)},
                          {"attributes", std::move(attributes)}});
  }
  const bool has_error_attribute = span.find_attribute("honeyhive_error") != nullptr;
  out.is_error = span.status.code == StatusCode::error || has_error_attribute;

  out.session_id = first_string(
      span, {"honeyhive.session_id", "honeyhive_session_id", "traceloop.association.properties.session_id"});
  if (out.session_id.empty()) out.session_id = out.trace_id;
  out.project = first_string(
      span, {"honeyhive.project", "honeyhive_project", "traceloop.association.properties.project", "service.name"});
  out.source = first_string(span, {"honeyhive.source", "honeyhive_source", "traceloop.association.properties.source"});
  const std::string session_name = first_string(span, {"honeyhive.session_name", "honeyhive_session_name"});
  if (!session_name.empty()) {
    out.session_name = session_name;
    out.session_name_rank = 2;
  } else if (out.parent_span_id.empty()) {
    out.session_name = span.name;
    out.session_name_rank = 1;
  }
  fill_session_keys(out);
  return out;
}

bool record_from_event(const json& event, const std::string& default_session_id, SpanRecord& out, std::string& error) {
  if (!event.is_object()) {
    error = "an event must be a JSON object";
    return false;
  }
  out.event_id = string_field(event, "event_id");
  if (out.event_id.empty()) out.event_id = new_uuid();
  out.session_id = string_field(event, "session_id");
  if (out.session_id.empty()) out.session_id = default_session_id.empty() ? out.event_id : default_session_id;
  out.trace_id = trace_id_for_session(out.session_id);
  out.span_id = span_id_for_event(out.event_id);
  const std::string parent = string_field(event, "parent_id");
  if (!parent.empty() && ascii_lowercase(parent) != ascii_lowercase(out.event_id))
    out.parent_span_id = span_id_for_event(parent);
  out.event_type = string_field(event, "event_type");
  out.name = string_field(event, "event_name");
  if (out.name.empty()) out.name = out.event_type.empty() ? "unknown" : out.event_type;
  fill_times(event, out);
  out.inputs = object_field(event, "inputs");
  out.outputs = object_field(event, "outputs");
  out.metadata = object_field(event, "metadata");
  out.metrics = object_field(event, "metrics");
  out.feedback = object_field(event, "feedback");
  out.config = object_field(event, "config");
  for (auto it = event.begin(); it != event.end(); ++it) {
    static constexpr const char* kOwnFields[] = {"inputs", "outputs", "metadata", "metrics", "feedback", "config"};
    bool own = false;
    for (const char* field : kOwnFields) own = own || it.key() == field;
    if (!own) out.attributes[it.key()] = it.value();
  }
  const std::string event_error = string_field(event, "error");
  if (!event_error.empty()) {
    out.status_code = 2;
    out.status_message = event_error;
    out.is_error = true;
  }
  out.project = string_field(event, "project");
  out.source = string_field(event, "source");
  if (out.parent_span_id.empty() || parent == out.session_id) {
    // A root event (or one hanging under its session): names the session when nothing better does.
    out.session_name = out.name;
    out.session_name_rank = 1;
  }
  fill_session_keys(out);
  return true;
}

bool record_from_session_start(const json& session, SpanRecord& out, std::string& error) {
  if (!session.is_object()) {
    error = "a session must be a JSON object";
    return false;
  }
  json event = session;
  std::string session_id = string_field(session, "session_id");
  if (session_id.empty()) session_id = new_uuid();
  event["session_id"] = session_id;
  event["event_id"] = session_id;  // the session's own event carries the session id
  event["event_type"] = "session";
  event.erase("parent_id");
  const std::string name = string_field(session, "session_name");
  if (!name.empty()) event["event_name"] = name;
  if (!record_from_event(event, session_id, out, error)) return false;
  out.parent_span_id.clear();
  out.session_name = name.empty() ? out.name : name;
  out.session_name_rank = name.empty() ? 1 : 2;
  return true;
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ascii_lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace honeyhive::hhlocal
