#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/context.hpp"
#include "honeyhive/core/span_data.hpp"

namespace honeyhive {

// One string attribute for SpanRef::set_attribute_texts: views of text the caller keeps.
struct TextAttribute {
  std::string_view key;
  std::string_view value;
};

// A non-owning, copyable reference to a span: it can record on the span but its destruction
// does not end it. Obtained from Context::span() (the active span) or from a Span.
// Every method is noexcept and thread-safe; on an ended, non-recording or no-op span the
// setters do nothing. A default-constructed SpanRef is a no-op.
class SpanRef {
 public:
  SpanRef() noexcept = default;

  // True while the span records data (started by a sampler that records, and not ended).
  bool is_recording() const noexcept;
  bool is_ended() const noexcept;
  // The span's context; invalid for a no-op span.
  SpanContext context() const noexcept;

  // Sets (or overwrites) one attribute. Non-UTF-8 strings are repaired with U+FFFD; values are
  // truncated to the value-length limit; a new key past the count limit is dropped and counted.
  void set_attribute_value(std::string_view key, AttributeValue value) noexcept;

  // Sets a string attribute from text the caller keeps: copied once, into the span's own storage
  // (set_attribute takes this path for strings, string views and C strings).
  void set_attribute_text(std::string_view key, std::string_view value) noexcept;
  // Several string attributes at once, in order: as many set_attribute_text calls, under one
  // acquisition of the span's lock (an atomic operation each, on a line the next call takes back).
  // Nothing is written on a span already ended; on memory exhaustion the ones before are kept.
  void set_attribute_texts(std::initializer_list<TextAttribute> attributes) noexcept {
    set_attribute_texts(attributes.begin(), attributes.size());
  }
  void set_attribute_texts(const TextAttribute* attributes, std::size_t count) noexcept;
  // Scalar attributes without building an AttributeValue (set_attribute takes these paths for bool,
  // integers that fit std::int64_t and floating-point values).
  void set_attribute_bool(std::string_view key, bool value) noexcept;
  void set_attribute_int(std::string_view key, std::int64_t value) noexcept;
  void set_attribute_double(std::string_view key, double value) noexcept;

  template <class T>
  void set_attribute(std::string_view key, T&& value) noexcept {
    if (!state_) return;
    using U = std::decay_t<T>;
    using R = std::remove_reference_t<T>;
    if constexpr (std::is_array_v<R> && std::is_same_v<std::remove_cv_t<std::remove_extent_t<R>>, char>) {
      set_attribute_text(key, std::string_view(value));  // a string literal or char array
    } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
      set_attribute_text(key, value == nullptr ? std::string_view() : std::string_view(value));
    } else if constexpr (!std::is_same_v<U, AttributeValue> && std::is_convertible_v<const U&, std::string_view>) {
      std::string_view text;
      try {
        text = std::string_view(value);  // a user type's conversion may throw
      } catch (...) {
        note_failure("set_attribute");
        return;
      }
      set_attribute_text(key, text);
    } else if constexpr (std::is_same_v<U, bool>) {
      set_attribute_bool(key, value);
    } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
      set_attribute_int(key, static_cast<std::int64_t>(value));
    } else if constexpr (std::is_integral_v<U> && sizeof(U) < sizeof(std::int64_t)) {
      set_attribute_int(key, static_cast<std::int64_t>(value));  // unsigned and narrower: always fits
    } else if constexpr (std::is_floating_point_v<U>) {
      set_attribute_double(key, static_cast<double>(value));
    } else {
      try {
        set_attribute_value(key, make_attribute_value(std::forward<T>(value)));
      } catch (...) {
        note_failure("set_attribute");
      }
    }
  }

  // Flattens a structured value under `prefix` into dotted attribute keys:
  // {"user":{"id":1}} under "meta" gives meta.user.id = 1. Arrays of scalars stay OTel arrays,
  // arrays of objects become JSON strings, NaN/Inf become strings, nulls are skipped, nesting past
  // SpanLimits::structured_max_depth becomes the marker "[max depth exceeded]".
  void set_structured(std::string_view prefix, const nlohmann::json& value) noexcept;

  // Any value nlohmann::json can be built from: maps, vectors, user types with a to_json overload.
  // A to_json that throws is caught; the attribute `<prefix>` is then set to "[to_json failed]".
  template <class T>
  void set_structured(std::string_view prefix, const T& value) noexcept {
    if (!state_) return;
    try {
      nlohmann::json json = value;
      set_structured(prefix, json);
    } catch (...) {
      set_attribute_value(prefix, AttributeValue{std::string("[to_json failed]")});
      note_failure("to_json");
    }
  }

  // The HoneyHive fields: each flattens a structured value under its prefix (honeyhive_inputs,
  // honeyhive_outputs, honeyhive_metadata, honeyhive_metrics, honeyhive_feedback, honeyhive_config,
  // honeyhive_user_properties). Inputs, outputs and metadata pass through the provider's content
  // policy first (masking callback; with record_content off only their size is recorded).
  void set_inputs(const nlohmann::json& value) noexcept;
  void set_outputs(const nlohmann::json& value) noexcept;
  void set_metadata(const nlohmann::json& value) noexcept;
  void set_metrics(const nlohmann::json& value) noexcept;
  void set_feedback(const nlohmann::json& value) noexcept;
  void set_config(const nlohmann::json& value) noexcept;
  void set_user_properties(const nlohmann::json& value) noexcept;
  // Records an error: honeyhive_error (and honeyhive_error_type when given), status error, and an
  // OTel "exception" event.
  void set_error(std::string_view message, std::string_view type = {}) noexcept;
  void record_exception(const std::exception& error) noexcept;

  // Adds an event (timestamp 0 = now). Past the event limit it is dropped and counted.
  void add_event(std::string_view name, Attributes attributes = {}, UnixNanos time_unix_nanos = 0) noexcept;
  // Adds a link. Past the link limit it is dropped and counted.
  void add_link(const SpanContext& context, Attributes attributes = {}) noexcept;
  // OTel rules: `ok` is final; `unset` is ignored; the description is kept only for `error`.
  void set_status(StatusCode code, std::string_view description = {}) noexcept;
  void update_name(std::string_view name) noexcept;

  // Ends the span (end time 0 = now; an end before the start is clamped to the start) and hands
  // it to the processors. Ending again does nothing.
  void end(UnixNanos end_unix_nanos = 0) noexcept;

  // Attaches a context with this span active to this thread, until the scope ends.
  Scope activate() const noexcept;

  explicit operator bool() const noexcept { return state_ != nullptr; }

 protected:
  explicit SpanRef(std::shared_ptr<detail::SpanState> state) noexcept : state_(std::move(state)) {}
  void note_failure(const char* what) const noexcept;
  // end() for a handle about to go: its reference moves to the processors (this handle is then
  // empty), rather than being copied for them and released after.
  void end_releasing() noexcept;

  std::shared_ptr<detail::SpanState> state_;

 private:
  friend class Context;
  friend class Tracer;
  friend struct detail::ScopeBuilder;
  friend struct detail::StaticKeyTexts;
};

// The owning span handle (RAII): move-only, ends the span when destroyed if it was not ended.
// A default-constructed (or moved-from) Span is a no-op with the same interface.
class Span : public SpanRef {
 public:
  Span() noexcept = default;
  ~Span() {
    scope_.detach();
    end_releasing();
  }
  Span(Span&& other) noexcept = default;
  Span& operator=(Span&& other) noexcept {
    if (this != &other) {
      end();
      state_ = std::move(other.state_);
      scope_ = std::move(other.scope_);
    }
    return *this;
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  // Ends the span; a scope the span holds (see hold_scope) is detached first.
  void end(UnixNanos end_unix_nanos = 0) noexcept {
    scope_.detach();
    SpanRef::end(end_unix_nanos);
  }

  // Keeps `scope` attached for as long as this span is open (the tracer facade activates its spans
  // this way, so children and enrich_span find them). End the span on the thread that started it,
  // or deactivate() it there first.
  void hold_scope(Scope scope) noexcept { scope_ = std::move(scope); }

  // Detaches the scope the span holds: it stops being the active span of the thread that started
  // it (HoneyHiveTracer::start_span activates its spans). Call it on that thread before handing the
  // span to another thread to end (a task, a completion callback): a scope cannot be detached from
  // another thread, so without this the starting thread keeps the ended span as its current one,
  // and its later spans become that span's children. Harmless when the span holds no scope.
  void deactivate() noexcept { scope_.detach(); }

  // A copyable reference to the same span (does not end it).
  SpanRef ref() const noexcept { return SpanRef(*this); }

 private:
  friend class Tracer;
  explicit Span(std::shared_ptr<detail::SpanState> state) noexcept : SpanRef(std::move(state)) {}

  Scope scope_;
};

}  // namespace honeyhive
