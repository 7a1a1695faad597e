#include "honeyhive/export/honeyhive_event.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/json_depth.hpp"
#include "core/json_text.hpp"
#include "core/uuid.hpp"
#include "honeyhive/core/span_limits.hpp"

namespace honeyhive {
namespace {

using json = nlohmann::json;

// The span setters' prefixes and the event fields they become (docs/honeyhive-attributes.md).
constexpr std::array<std::pair<const char*, const char*>, 7> kStructuredFields = {{
    {"honeyhive_inputs", "inputs"},
    {"honeyhive_outputs", "outputs"},
    {"honeyhive_metadata", "metadata"},
    {"honeyhive_metrics", "metrics"},
    {"honeyhive_feedback", "feedback"},
    {"honeyhive_config", "config"},
    {"honeyhive_user_properties", "user_properties"},
}};

// Attributes the event carries in its own fields (or, for the traceloop copies, carries twice).
constexpr std::array<const char*, 10> kEventFieldKeys = {
    "honeyhive_event_type",       "honeyhive_event_name",   "honeyhive_error",
    "honeyhive.session_id",       "honeyhive.project",      "honeyhive.source",
    "honeyhive.parent_id",        "honeyhive.session_name", "honeyhive.session_enrichment",
    "honeyhive.parent_is_session"};
constexpr std::string_view kTraceloopPrefix = "traceloop.association.properties.";

constexpr std::array<const char*, 4> kEventTypes = {"session", "chain", "model", "tool"};

// The deepest nesting unflattening builds (SpanLimits::structured_max_depth's default): dump() and
// the comparisons of nlohmann::json recurse, and the export thread must not overflow its stack on a
// key with 100k dots or a 100k-deep "[[[...]]]" string.
constexpr std::size_t kMaxDepth = SpanLimits{}.structured_max_depth;

// The part of `key` under `prefix`: "" for the key itself, "a.b" for "prefix.a.b"; nullopt otherwise.
std::optional<std::string_view> under_prefix(std::string_view key, std::string_view prefix) {
  if (key.size() < prefix.size() || key.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  if (key.size() == prefix.size()) return std::string_view();
  if (key[prefix.size()] != '.') return std::nullopt;
  return key.substr(prefix.size() + 1);
}

json number_or_name(double value) {
  if (std::isfinite(value)) return value;
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

// The JSON value of an attribute, undoing what flatten_structured did to non-scalar values.
json attribute_to_json(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (v == "{}") return json::object();
          if (v.size() >= 2 && v.front() == '[' && v.back() == ']' && detail::text_nests_at_most(v, kMaxDepth)) {
            json parsed = json::parse(v, nullptr, /*allow_exceptions=*/false);
            if (parsed.is_array()) return parsed;
          }
          return v;
        } else if constexpr (std::is_same_v<T, double>) {
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

// Sets `value` at the dotted `path` of the object `root`, losing neither it nor what is there:
// - a path running through a value that is not an object (the user's metadata "gen_ai" = "mine",
//   then the attribute gen_ai.request.model) keeps the rest of its path joined in one key at that
//   level ("gen_ai.request.model");
// - a value whose place holds an object already (gen_ai.request.model, then "gen_ai" = "mine") goes
//   into that object as "value", as a value set at a prefix itself comes back (unflatten_attributes);
// - a place taken by a value keeps it: the first writer wins (a span's keys are distinct, so only
//   the cases above meet).
// At most kMaxDepth levels: the segments past them stay joined in one key.
void set_path(json& root, std::string_view path, json value) {
  json* node = &root;
  for (std::size_t depth = 1;; ++depth) {
    const std::size_t dot = depth < kMaxDepth ? path.find('.') : std::string_view::npos;
    const std::string segment(path.substr(0, dot));
    if (dot == std::string_view::npos) {
      const auto existing = node->find(segment);
      if (existing == node->end()) {
        (*node)[segment] = std::move(value);
      } else if (existing->is_object() && !existing->contains("value")) {
        (*existing)["value"] = std::move(value);
      }
      return;
    }
    json& child = (*node)[segment];
    if (child.is_null()) child = json::object();
    if (!child.is_object()) {
      const std::string joined(path);
      if (!node->contains(joined)) (*node)[joined] = std::move(value);
      return;
    }
    node = &child;
    path.remove_prefix(dot + 1);
  }
}

const std::string* string_attribute(const SpanData& span, std::string_view key) {
  const AttributeValue* value = span.find_attribute(key);
  return value ? std::get_if<std::string>(value) : nullptr;
}

// The attribute `key` as text: a string as it is, any other value as its JSON text (an error set
// as a number is still the event's error, not dropped). Empty when absent.
std::string text_attribute(const SpanData& span, std::string_view key) {
  const AttributeValue* value = span.find_attribute(key);
  if (value == nullptr) return {};
  if (const auto* text = std::get_if<std::string>(value)) return *text;
  return detail::json_text(attribute_to_json(*value));
}

bool is_event_field_key(std::string_view key) {
  for (const char* field : kEventFieldKeys) {
    if (key == field) return true;
  }
  if (key.compare(0, kTraceloopPrefix.size(), kTraceloopPrefix) == 0) return true;
  for (const auto& [prefix, name] : kStructuredFields) {
    (void)name;
    if (under_prefix(key, prefix)) return true;
  }
  return false;
}

std::int64_t unix_ms(UnixNanos nanos) { return static_cast<std::int64_t>(nanos / 1000000U); }

std::string source_of(const SpanData& span) {
  if (std::string source = text_attribute(span, "honeyhive.source"); !source.empty()) return source;
  if (span.resource) {
    if (const auto* value = span.resource->find("honeyhive.source")) {
      if (const auto* source = std::get_if<std::string>(value)) return *source;
    }
  }
  return "";
}

// The span's error: honeyhive_error, else an error status's description, else (an error status
// without one) the message of its last exception event, else "error". Never empty for a span whose
// status is an error: the API takes an event without an error text for a success.
std::string error_of(const SpanData& span) {
  if (std::string error = text_attribute(span, "honeyhive_error"); !error.empty()) return error;
  if (span.status.code != StatusCode::error) return "";
  if (!span.status.description.empty()) return span.status.description;
  for (auto event = span.events.rbegin(); event != span.events.rend(); ++event) {
    if (event->name != "exception") continue;
    for (const char* key : {"exception.message", "exception.type"}) {
      for (const auto& attribute : event->attributes) {
        const auto* text = std::get_if<std::string>(&attribute.value);
        if (attribute.key == key && text != nullptr && !text->empty()) return *text;
      }
    }
  }
  return "error";
}

// The first of `names` that `metadata` (the user's own metadata, or what will be merged with it)
// does not use, else the last with "_" added until free: what the SDK adds never replaces a user's key.
std::string free_metadata_key(const json& metadata, std::initializer_list<const char*> names) {
  std::string key;
  for (const char* name : names) {
    key = name;
    if (!metadata.is_object() || !metadata.contains(key)) return key;
  }
  while (metadata.contains(key)) key += '_';
  return key;
}

}  // namespace

std::string honeyhive_event_id(const TraceId& trace_id, const SpanId& span_id) {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(trace_id.bytes()[i] ^ span_id.bytes()[i % SpanId::kSize]);
  }
  // The version and variant bits overwrite part of span id bytes 6 and 0, whose other copies
  // (bytes 14 and 0) stay whole: the id is still distinct for every span id within one trace.
  return detail::format_uuid(bytes, 8);
}

json unflatten_attributes(const Attributes& attributes, std::string_view prefix) {
  json out = json::object();
  for (const auto& attribute : attributes) {
    const auto path = under_prefix(attribute.key, prefix);
    if (!path) continue;
    if (path->empty()) {
      json value = attribute_to_json(attribute.value);
      if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) set_path(out, it.key(), it.value());
      } else {
        set_path(out, "value", std::move(value));
      }
    } else {
      set_path(out, *path, attribute_to_json(attribute.value));
    }
  }
  return out;
}

HoneyHiveSpanRole honeyhive_span_role(const SpanData& span) noexcept {
  const AttributeValue* enrichment = span.find_attribute("honeyhive.session_enrichment");
  if (enrichment != nullptr && std::holds_alternative<bool>(*enrichment) && std::get<bool>(*enrichment)) {
    return HoneyHiveSpanRole::session_enrichment;
  }
  const auto* type = string_attribute(span, "honeyhive_event_type");
  if (type != nullptr && *type == "session" && span.find_attribute("honeyhive.session_name") != nullptr) {
    return HoneyHiveSpanRole::session_start;
  }
  return HoneyHiveSpanRole::event;
}

std::string honeyhive_session_id_of(const SpanData& span) {
  const auto* session = string_attribute(span, "honeyhive.session_id");
  return session ? *session : std::string();
}

json span_to_honeyhive_event(const SpanData& span) {
  json event = json::object();
  const TraceId& trace_id = span.context.trace_id();
  event["event_id"] = honeyhive_event_id(trace_id, span.context.span_id());
  const std::string session_id = honeyhive_session_id_of(span);
  if (!session_id.empty()) event["session_id"] = session_id;
  const AttributeValue* parent_is_session = span.find_attribute("honeyhive.parent_is_session");
  if (span.parent_span_id.is_valid() && parent_is_session != nullptr && !session_id.empty() &&
      std::holds_alternative<bool>(*parent_is_session) && std::get<bool>(*parent_is_session)) {
    event["parent_id"] = session_id;  // the session event's id is the session id
  } else if (span.parent_span_id.is_valid()) {
    event["parent_id"] = honeyhive_event_id(trace_id, span.parent_span_id);
  } else if (const auto* parent = string_attribute(span, "honeyhive.parent_id")) {
    event["parent_id"] = *parent;
  } else if (!session_id.empty()) {
    event["parent_id"] = session_id;  // a root span hangs under its session (the API's default too)
  }
  const std::string source = source_of(span);
  if (!source.empty()) event["source"] = source;

  std::string type = "tool";  // the reference SDK's default for spans that name no type
  if (const auto* named = string_attribute(span, "honeyhive_event_type")) {
    for (const char* known : kEventTypes) {
      if (*named == known) type = known;
    }
  }
  event["event_type"] = type;
  const std::string name = text_attribute(span, "honeyhive_event_name");
  event["event_name"] = name.empty() ? span.name : name;

  for (const auto& [prefix, field] : kStructuredFields) event[field] = unflatten_attributes(span.attributes, prefix);
  // The span's other attributes (gen_ai.*, baggage.*, the user's own) travel in metadata,
  // unflattened, under the user's own metadata keys.
  json& metadata = event["metadata"];
  for (const auto& attribute : span.attributes) {
    if (!is_event_field_key(attribute.key)) set_path(metadata, attribute.key, attribute_to_json(attribute.value));
  }

  const std::string error = error_of(span);
  if (!error.empty()) event["error"] = error;
  event["start_time"] = unix_ms(span.start_unix_nanos);
  event["end_time"] = unix_ms(span.end_unix_nanos);
  event["duration"] = static_cast<double>(span.duration_nanos()) / 1e6;
  return event;
}

json span_to_honeyhive_session(const SpanData& span) {
  json session = json::object();
  const std::string session_id = honeyhive_session_id_of(span);
  if (!session_id.empty()) session["session_id"] = session_id;
  const auto* name = string_attribute(span, "honeyhive.session_name");
  session["session_name"] = name ? *name : span.name;
  const std::string source = source_of(span);
  if (!source.empty()) session["source"] = source;
  session["start_time"] = unix_ms(span.start_unix_nanos);
  session["end_time"] = unix_ms(span.end_unix_nanos);
  session["duration"] = static_cast<double>(span.duration_nanos()) / 1e6;
  for (const char* prefix : {"honeyhive_inputs", "honeyhive_outputs", "honeyhive_metadata", "honeyhive_user_properties",
                             "honeyhive_config"}) {
    json value = unflatten_attributes(span.attributes, prefix);
    if (!value.empty()) session[std::string(prefix).substr(10)] = std::move(value);  // drop "honeyhive_"
  }
  return session;
}

json span_to_honeyhive_session_update(const SpanData& span) {
  json update = json::object();
  for (const char* prefix : {"honeyhive_metrics", "honeyhive_feedback"}) {
    json value = unflatten_attributes(span.attributes, prefix);
    if (!value.empty()) update[std::string(prefix).substr(10)] = std::move(value);  // drop "honeyhive_"
  }
  // The update takes no error field: it goes in metadata, which the API merges with the session's,
  // beside (never over) the user's own key of that name.
  if (std::string error = error_of(span); !error.empty()) {
    const json user_metadata = unflatten_attributes(span.attributes, "honeyhive_metadata");
    update["metadata"][free_metadata_key(user_metadata, {"error", "honeyhive_error"})] = std::move(error);
  }
  return update;
}

json span_to_honeyhive_event_update(const SpanData& span) {
  json update = json::object();
  for (const auto& [prefix, field] : kStructuredFields) {
    if (std::string_view(field) == "inputs") continue;
    json value = unflatten_attributes(span.attributes, prefix);
    if (!value.empty()) update[field] = std::move(value);
  }
  // The update takes no inputs or error field: they go in metadata, beside (never over) the user's
  // own metadata keys of those names.
  json inputs = unflatten_attributes(span.attributes, "honeyhive_inputs");
  json& metadata = update["metadata"];
  if (!inputs.empty()) metadata[free_metadata_key(metadata, {"inputs", "honeyhive_inputs"})] = std::move(inputs);
  if (std::string error = text_attribute(span, "honeyhive_error"); !error.empty()) {
    metadata[free_metadata_key(metadata, {"error", "honeyhive_error"})] = std::move(error);
  }
  if (metadata.is_null()) update.erase("metadata");
  return update;
}

}  // namespace honeyhive
