#include "honeyhive/core/span.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/current_context.hpp"
#include "core/json_depth.hpp"
#include "core/span_record_pool.hpp"
#include "core/span_state.hpp"
#include "core/static_key_texts.hpp"
#include "core/structured_sink.hpp"
#include "core/tsc_clock.hpp"
#include "core/utf8.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/structured.hpp"

namespace honeyhive {
namespace detail {

void SpinMutex::lock_contended() noexcept {
  for (unsigned attempt = 0;; ++attempt) {
    if (try_lock()) return;
    if (attempt < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else if (attempt < 1024) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

}  // namespace detail

namespace {

std::uint32_t saturating_increment(std::uint32_t count) noexcept { return count == UINT32_MAX ? count : count + 1; }

void sanitize_string(std::string& text, std::size_t max_chars) {
  detail::make_valid_utf8(text);
  if (max_chars != SpanLimits::kUnlimited) detail::truncate_utf8(text, max_chars);
}

// Repairs UTF-8 and applies the value-length limit to every string in `value`.
void sanitize_value(AttributeValue& value, std::size_t max_chars) {
  if (auto* text = std::get_if<std::string>(&value)) {
    sanitize_string(*text, max_chars);
  } else if (auto* texts = std::get_if<std::vector<std::string>>(&value)) {
    for (auto& item : *texts) sanitize_string(item, max_chars);
  }
}

std::string sanitized_key(std::string_view key) {
  std::string out(key);
  detail::make_valid_utf8(out);
  return out;
}

// A string value given as text the caller keeps: copied once, into the attribute's own buffer.
struct TextValue {
  std::string_view text;
};

// The assign_value overloads set `target` to `value`, repaired and truncated; on an exception
// `target` is unchanged. Each returns whether `target` may now hold a buffer it did not have (a
// new or larger string or list): a recycled record walks its slots' buffers against its budget only
// after such a write (see SpanState::slots_grown).
bool assign_value(AttributeValue& target, AttributeValue&& value, std::size_t max_chars) {
  // Scalars onto a slot of the same type (a recycled slot, usually): no variant machinery.
  if (target.index() == value.index()) {
    if (auto* flag = std::get_if<bool>(&value)) {
      *std::get_if<bool>(&target) = *flag;
      return false;
    }
    if (auto* number = std::get_if<std::int64_t>(&value)) {
      *std::get_if<std::int64_t>(&target) = *number;
      return false;
    }
    if (auto* real = std::get_if<double>(&value)) {
      *std::get_if<double>(&target) = *real;
      return false;
    }
  }
  sanitize_value(value, max_chars);
  target = std::move(value);
  return true;
}

// A scalar onto a slot or attribute: a plain store when it already holds that type. A scalar
// holds no buffer, so this never grows one (a replaced string or list is freed).
template <class Scalar>
bool assign_scalar(AttributeValue& target, Scalar value) noexcept {
  if (auto* current = std::get_if<Scalar>(&target)) {
    *current = value;
  } else {
    target.template emplace<Scalar>(value);
  }
  return false;
}
bool assign_value(AttributeValue& target, bool value, std::size_t) noexcept { return assign_scalar(target, value); }
bool assign_value(AttributeValue& target, std::int64_t value, std::size_t) noexcept {
  return assign_scalar(target, value);
}
bool assign_value(AttributeValue& target, double value, std::size_t) noexcept { return assign_scalar(target, value); }

// `text`, valid UTF-8, cut to `max_chars` characters, into `target`.
inline bool assign_valid_text(AttributeValue& target, std::string_view text, std::size_t max_chars) {
  if (max_chars != SpanLimits::kUnlimited) text = text.substr(0, detail::utf8_prefix_length(text, max_chars));
  auto* current = std::get_if<std::string>(&target);
  if (current != nullptr && text.size() <= current->capacity()) {
    detail::overwrite_text(*current, text);
    return false;
  }
  target = std::string(text);
  return true;
}

// Invalid UTF-8: repaired first (rare, so out of line, keeping its string off the common path).
[[gnu::noinline, gnu::cold]] bool assign_repaired_text(AttributeValue& target, std::string_view text,
                                                       std::size_t max_chars) {
  const std::string repaired = detail::repair_utf8(text);
  return assign_valid_text(target, repaired, max_chars);
}

bool assign_value(AttributeValue& target, TextValue value, std::size_t max_chars) {
  if (detail::is_valid_utf8(value.text)) return assign_valid_text(target, value.text, max_chars);
  return assign_repaired_text(target, value.text, max_chars);
}

// An array leaf of a structured value, as flatten_structured records it.
struct JsonArray {
  const nlohmann::json& array;
  std::size_t depth_left;
};

// Writes an array of strings over a list of as many strings whose buffers hold them (a recycled
// slot that held the same list, usually): no allocation. Returns false, having changed nothing,
// when the array is anything else or a string would need repair or a larger buffer.
bool overwrite_strings(std::vector<std::string>& out, const nlohmann::json& array, std::size_t max_chars) noexcept {
  if (out.size() != array.size()) return false;
  const auto& items = *array.get_ptr<const nlohmann::json::array_t*>();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto* text = items[i].get_ptr<const nlohmann::json::string_t*>();
    if (text == nullptr || text->size() > out[i].capacity() || !detail::is_valid_utf8(*text)) return false;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string_view text = *items[i].get_ptr<const nlohmann::json::string_t*>();
    if (max_chars != SpanLimits::kUnlimited) text = text.substr(0, detail::utf8_prefix_length(text, max_chars));
    detail::overwrite_text(out[i], text);
  }
  return true;
}

bool assign_value(AttributeValue& target, JsonArray value, std::size_t max_chars) {
  if (auto* strings = std::get_if<std::vector<std::string>>(&target)) {
    if (overwrite_strings(*strings, value.array, max_chars)) return false;
  }
  return assign_value(target, detail::array_leaf_value(value.array, value.depth_left), max_chars);
}

// The live attributes of a span, or of an event's or link's list being built: attributes[0, count),
// and a 512-bit filter with one bit per class (a hash of length, middle and last bytes) of their
// keys. Looking up a key that is not there, as for every new attribute, then usually scans nothing,
// even on a typed span with dozens of flattened keys (40 keys set about 8% of the bits).
struct KeyFilter {
  std::uint64_t words[detail::SpanState::kKeyFilterWords] = {};
};

struct LiveAttributes {
  Attributes& attributes;
  std::size_t& count;
  std::uint64_t* key_filter;    // SpanState::kKeyFilterWords words
  bool& grown;                  // set when a write may have grown a buffer (SpanState::slots_grown)
  std::uint16_t* slot_classes;  // SpanState::slot_classes; null for an event's or link's list
  bool* slot_keys_written;      // SpanState::slot_keys_written; null for an event's or link's list
  std::size_t* distinct_slots;  // SpanState::distinct_slots; null for an event's or link's list
};

LiveAttributes live_attributes(detail::SpanState& state) noexcept {
  return LiveAttributes{state.attributes,   state.attribute_count,    state.key_filter,     state.slots_grown,
                        state.slot_classes, &state.slot_keys_written, &state.distinct_slots};
}

bool filter_has(const std::uint64_t* filter, unsigned key_class_value) noexcept {
  return (filter[key_class_value >> 6U] >> (key_class_value & 63U) & 1U) != 0;
}

void filter_add(std::uint64_t* filter, unsigned key_class_value) noexcept {
  filter[key_class_value >> 6U] |= std::uint64_t{1} << (key_class_value & 63U);
}

// The live attribute whose key is `key`, or null. `cls` is detail::key_class(key).
[[gnu::always_inline]] inline Attribute* find_live(const LiveAttributes& live, std::string_view key,
                                                   unsigned cls) noexcept {
  if (!filter_has(live.key_filter, cls)) return nullptr;
  for (std::size_t i = 0; i < live.count; ++i) {
    Attribute& attribute = live.attributes[i];
    if (detail::same_bytes(attribute.key, key)) return &attribute;
  }
  return nullptr;
}

// Records what is kept about the key now in slot `index` of a span's attributes: `cls`, its class,
// and that a slot key was written (SpanState::slot_keys_written).
[[gnu::always_inline]] inline void note_slot_key(const LiveAttributes& live, std::size_t index, unsigned cls) noexcept {
  if (live.slot_classes == nullptr) return;
  *live.slot_keys_written = true;
  if (index < detail::SpanState::kClassedSlots) live.slot_classes[index] = static_cast<std::uint16_t>(cls);
}

template <class Value>
Attribute* upsert_repaired_key(LiveAttributes live, std::string_view key, Value&& value, std::size_t max_count,
                               std::size_t max_chars, std::uint32_t& dropped);

// Sets key=value among the live attributes (overwrite keeps its place; a new key past `max_count`
// is dropped and counted in `dropped`). A new attribute is written into the slot at
// attributes[count] when there is one (a recycled record's: it still holds the key the last span
// wrote there, often the same one, and its buffers), else appended. `key` is a std::string_view
// (copied in; a std::string, such as a repaired key, is taken as one), or an AttributeKey the caller
// owns (event and link lists): that one is moved in, not copied again. On
// an exception the attribute is either set whole or not at all. Returns the live attribute whose
// value it wrote over, or null when it added the key or dropped it.
template <class Key, class Value>
[[gnu::always_inline]] inline Attribute* upsert(const LiveAttributes& live, Key&& key, Value&& value,
                                                std::size_t max_count, std::size_t max_chars, std::uint32_t& dropped) {
  Attributes& attributes = live.attributes;
  std::size_t& count = live.count;
  const std::string_view view = key;
  // Stored keys are valid UTF-8, so a key equal to one is too: UTF-8 is checked only for a key that
  // is neither live nor the one the next recycled slot holds.
  const unsigned cls = detail::key_class(view);
  Attribute* existing = find_live(live, view, cls);
  const bool in_next_slot =
      existing == nullptr && count < attributes.size() && detail::same_bytes(attributes[count].key, view);
  if (existing == nullptr && !in_next_slot && !detail::is_valid_utf8(view)) {
    return upsert_repaired_key(live, view, std::forward<Value>(value), max_count, max_chars, dropped);
  }
  if (existing != nullptr) {
    if (assign_value(existing->value, std::forward<Value>(value), max_chars)) live.grown = true;
    return existing;
  }
  if (count >= max_count) {
    dropped = saturating_increment(dropped);
    return nullptr;
  }
  constexpr bool kOwnedKey = std::is_same_v<std::decay_t<Key>, AttributeKey>;
  if (count < attributes.size()) {
    // A recycled slot, not live until both parts are set.
    Attribute& slot = attributes[count];
    if (!in_next_slot) {
      // A different key in this slot: it may equal a later slot's, so the span's writes are no
      // longer in sequence (SpanState::distinct_slots).
      if (live.distinct_slots != nullptr && *live.distinct_slots > count) *live.distinct_slots = count;
      if constexpr (kOwnedKey) {
        slot.key = std::forward<Key>(key);
        live.grown = true;
      } else {
        // Written in place (inline, or over a block the slot alone owns), or into a new block: then
        // its text moved.
        const char* before = slot.key.data();
        slot.key.assign(view.data(), view.size());
        if (slot.key.data() != before) live.grown = true;
      }
      // The slot's class goes with its key at once: if the value's write below throws, the slot
      // keeps this key, and a later write of it must find its class right.
      note_slot_key(live, count, cls);
    }
    if (assign_value(slot.value, std::forward<Value>(value), max_chars)) live.grown = true;
    filter_add(live.key_filter, cls);
    ++count;
    return nullptr;
  }
  // Most spans carry a handful of attributes: one allocation instead of four regrowths.
  if (attributes.capacity() == 0) attributes.reserve(max_count < 8 ? max_count : 8);
  // Built in place; the key at its size (an assign onto the empty key would go through the
  // library's general replace and regrow paths first). Taken out again if either part throws.
  Attribute& fresh = attributes.emplace_back();
  try {
    if constexpr (kOwnedKey) {
      fresh.key = std::forward<Key>(key);
    } else {
      fresh.key.assign(view.data(), view.size());
    }
    assign_value(fresh.value, std::forward<Value>(value), max_chars);
  } catch (...) {
    attributes.pop_back();
    throw;
  }
  live.grown = true;  // a new slot: its buffers are all new
  note_slot_key(live, count, cls);
  filter_add(live.key_filter, cls);
  ++count;
  return nullptr;
}

// A key that is not valid UTF-8 (rare, so out of line): keys are stored repaired, so it is looked up
// and stored repaired.
template <class Value>
[[gnu::noinline, gnu::cold]] Attribute* upsert_repaired_key(LiveAttributes live, std::string_view key, Value&& value,
                                                            std::size_t max_count, std::size_t max_chars,
                                                            std::uint32_t& dropped) {
  return upsert(live, detail::repair_utf8(key), std::forward<Value>(value), max_count, max_chars, dropped);
}

// Applies the limits to a list given whole (events, links): later duplicates overwrite.
Attributes limited(Attributes&& input, std::size_t max_count, std::size_t max_chars, std::uint32_t& dropped) {
  Attributes out;
  out.reserve(input.size() < max_count ? input.size() : max_count);
  std::size_t count = 0;  // == out.size(): no recycled slots here
  KeyFilter key_filter;
  bool grown = false;  // a new list: nothing recycled to account for
  const LiveAttributes live{out, count, key_filter.words, grown, nullptr, nullptr, nullptr};
  for (auto& attribute : input) {
    upsert(live, std::move(attribute.key), std::move(attribute.value), max_count, max_chars, dropped);
  }
  return out;
}

}  // namespace

bool SpanRef::is_recording() const noexcept {
  if (!state_ || !state_->recording) return false;
  std::lock_guard<detail::SpanMutex> lock(state_->mutex);
  return !state_->ended;
}

bool SpanRef::is_ended() const noexcept {
  if (!state_) return true;
  std::lock_guard<detail::SpanMutex> lock(state_->mutex);
  return state_->ended;
}

SpanContext SpanRef::context() const noexcept { return state_ ? state_->context : SpanContext{}; }

void SpanRef::note_failure(const char* what) const noexcept {
  try {
    report_diagnostic(DiagnosticLevel::warning, std::string("span operation failed and was skipped: ") + what);
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning, "span operation failed and was skipped (out of memory)");
  }
}

namespace {

// Brings `state`'s key filter up to its live attributes (writes in sequence leave it behind).
[[gnu::always_inline]] inline void catch_up_key_filter(detail::SpanState& state) noexcept {
  for (std::size_t i = state.filtered; i < state.attribute_count; ++i) {
    filter_add(state.key_filter, i < detail::SpanState::kClassedSlots ? state.slot_classes[i]
                                                                      : detail::key_class(state.attributes[i].key));
  }
  state.filtered = state.attribute_count;
}

// Sets one attribute on a recording span: the setters' common body (may throw bad_alloc). `value`
// is an AttributeValue, a TextValue or a scalar. Returns the live attribute whose value it wrote
// over, or null (see upsert).
template <class Value>
[[gnu::always_inline]] inline Attribute* set_one_general(detail::SpanState& state, std::string_view key,
                                                         Value&& value) {
  const SpanLimits& limits = state.limits;
  catch_up_key_filter(state);
  Attribute* replaced = upsert(live_attributes(state), key, std::forward<Value>(value), limits.attribute_count,
                               limits.attribute_value_length, state.dropped_attributes_count);
  state.filtered = state.attribute_count;  // upsert adds each new key's class
  return replaced;
}

template <class Value>
[[gnu::noinline]] void set_one_slow(detail::SpanState& state, std::string_view key, Value&& value) {
  set_one_general(state, key, std::forward<Value>(value));
}

}  // namespace

// What one set_structured call wrote over (see set_leaf_slow): made at its first overwrite of a live
// attribute, kept in SpanState::structured_overwrites (none, in the steady state: the call then only
// tests a null pointer), and taken and freed by the call before it releases the span's mutex.
struct detail::StructuredOverwrites {
  // The attributes from before the value that its leaves wrote over: bit i for slot i < 64, then a
  // list of the others' slots.
  std::uint64_t earlier_low = 0;
  std::vector<std::size_t> earlier_high;
  // How many values of the call's own leaves a later leaf wrote over (dropped), and the first such
  // key, cut to kCollisionKeyChars characters: what set_structured reports once the call is done.
  std::uint32_t dropped = 0;
  std::string first_key;
};

namespace {

using detail::StructuredOverwrites;

constexpr std::size_t kCollisionKeyChars = 200;

// A leaf wrote over the value of an earlier leaf of the same structured value, whose key is `key`:
// that value is dropped, and counted.
[[gnu::noinline, gnu::cold]] void note_collision(detail::SpanState& state, std::string_view key,
                                                 StructuredOverwrites& overwrites) noexcept {
  state.dropped_attributes_count = saturating_increment(state.dropped_attributes_count);
  overwrites.dropped = saturating_increment(overwrites.dropped);
  if (overwrites.dropped != 1) return;
  try {
    overwrites.first_key.assign(key.data(), detail::utf8_prefix_length(key, kCollisionKeyChars));
  } catch (...) {
    // Out of memory: reported without the key.
  }
}

// A leaf wrote over the attribute in slot `index`, set before its structured value: a deliberate
// overwrite the first time (a second set_inputs), a collision the next (the value's first leaf
// under that key was the overwrite).
[[gnu::noinline]] void note_earlier_overwrite(detail::SpanState& state, std::size_t index, std::string_view key) {
  StructuredOverwrites*& overwrites = state.structured_overwrites;
  if (overwrites == nullptr) overwrites = new StructuredOverwrites();
  bool seen = false;
  if (index < 64) {
    const std::uint64_t bit = std::uint64_t{1} << index;
    seen = (overwrites->earlier_low & bit) != 0;
    overwrites->earlier_low |= bit;
  } else {
    auto& high = overwrites->earlier_high;
    seen = std::find(high.begin(), high.end(), index) != high.end();
    if (!seen) high.push_back(index);
  }
  if (seen) note_collision(state, key, *overwrites);
}

// set_one_slow() for a leaf of a structured value whose first leaf went into slot `first` or after.
// Flattening joins member names with '.' as they are, so leaves may meet under one key
// ({"a.b": 1, "a": {"b": 2}}, or names that are the same once repaired to UTF-8): a leaf that
// writes over an attribute at `first` or after it, or over one from before the value that an earlier
// leaf of it wrote over already, writes over its own value's. The last value stays, as HoneyHive's
// Python SDK keeps it, and the one it replaced is counted as dropped and noted in `overwrites`. (The
// first write over an attribute set before the value is a deliberate overwrite, as with a second
// set_inputs: silent. The in-place paths never get here: they never meet a live key.)
template <class Value>
[[gnu::noinline]] void set_leaf_slow(detail::SpanState& state, std::string_view key, Value&& value, std::size_t first) {
  const Attribute* replaced = set_one_general(state, key, std::forward<Value>(value));
  if (replaced == nullptr) return;
  const auto index = static_cast<std::size_t>(replaced - state.attributes.data());
  if (index < first) {
    note_earlier_overwrite(state, index, replaced->key);
    return;
  }
  StructuredOverwrites*& overwrites = state.structured_overwrites;
  if (overwrites == nullptr) overwrites = new StructuredOverwrites();
  note_collision(state, replaced->key, *overwrites);
}

void report_collisions(const StructuredOverwrites& collisions) noexcept;

// The end of a set_structured call whose leaves wrote over live attributes, its caller's guard
// holding the span's mutex: takes and frees what they wrote over, and reports what they dropped, if
// any, with the mutex released (a diagnostic handler may use the span), then takes the mutex again
// for the guard to release. (A guard that could release it early, std::unique_lock, cost a typed
// span about 15 instructions in the steady state, where this is not called.)
[[gnu::noinline]] void finish_overwrites(detail::SpanState& state) noexcept {
  const std::unique_ptr<StructuredOverwrites> owned(std::exchange(state.structured_overwrites, nullptr));
  if (owned->dropped == 0) return;
  state.mutex.unlock();
  report_collisions(*owned);
  state.mutex.lock();
}

// The diagnostic for the leaves of one set_structured call that met under one key (after the span's
// mutex is released: a diagnostic handler may use the span). Keys, not values: values may be secret.
[[gnu::noinline, gnu::cold]] void report_collisions(const StructuredOverwrites& collisions) noexcept {
  try {
    report_diagnostic(
        DiagnosticLevel::warning,
        {"set_structured: ", std::to_string(collisions.dropped),
         " value(s) dropped: leaves of one structured value flattened to the same attribute key "
         "(a member name containing '.', or names that are the same once repaired to UTF-8), first '",
         collisions.first_key, "'; the last value is kept, the dropped ones are counted in dropped_attributes_count"});
  } catch (...) {
    report_diagnostic(DiagnosticLevel::warning,
                      "set_structured: values dropped: leaves of one structured value flattened to the same key");
  }
}

// An ASCII text within the length limit that `target`'s string holds without growing, written over
// it inline (no repair or truncation can apply; a longer text than the one there goes through the
// string class, which does not allocate within its capacity). False otherwise, having written over
// the string when the text is no longer than it but not all ASCII: for a slot that is not an
// attribute yet, whose value the general path then sets whole.
[[gnu::always_inline]] inline bool overwrote_ascii_text(AttributeValue& target, TextValue value,
                                                        std::size_t max_chars) noexcept {
  auto* current = std::get_if<std::string>(&target);
  const std::string_view text = value.text;
  if (current == nullptr || text.size() > max_chars) return false;
  // The same length, the common case, needs no new length (erase() checks and stores: +135 per
  // typed span when it served both cases).
  if (text.size() == current->size()) return detail::copied_ascii_bytes(current->data(), text.data(), text.size());
  if (text.size() < current->size()) {
    if (!detail::copied_ascii_bytes(current->data(), text.data(), text.size())) return false;
    current->erase(text.size());  // shrinking: sets the length, inline
    return true;
  }
  if (text.size() > current->capacity() || !detail::all_ascii(text)) return false;
  current->assign(text.data(), text.size());  // within its capacity: no allocation, cannot throw
  return true;
}

// Writes an array of strings over a list of as many strings of the same lengths, all ASCII and
// within the length limit, in one pass. For a slot that is not an attribute yet: on false, some of
// its strings may have been written over (the general path then replaces the whole list).
[[gnu::always_inline]] inline bool overwrote_same_length_strings(std::vector<std::string>& out,
                                                                 const nlohmann::json& array,
                                                                 std::size_t max_chars) noexcept {
  const auto& items = *array.get_ptr<const nlohmann::json::array_t*>();
  const std::size_t n = items.size();
  if (out.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const auto* text = items[i].get_ptr<const nlohmann::json::string_t*>();
    std::string& target = out[i];
    if (text == nullptr || text->size() != target.size() || text->size() > max_chars) return false;
    if (!detail::copied_ascii_bytes(target.data(), text->data(), text->size())) return false;
  }
  return true;
}

// Writes `value` over a recycled slot's value in place when it can: a scalar of the same type, an
// ASCII text within the limit that fits the slot's string, a list of as many strings of the same
// lengths. False otherwise (a text or list may then be written in part: the slot is not an
// attribute until this or the general path succeeds, and the general path writes the whole value).
template <class Value>
[[gnu::always_inline]] inline bool overwrote_slot_value(Attribute& slot, const Value& value,
                                                        std::size_t max_chars) noexcept {
  if constexpr (std::is_same_v<Value, TextValue>) {
    return overwrote_ascii_text(slot.value, value, max_chars);
  } else if constexpr (std::is_same_v<Value, JsonArray>) {
    // A list of as many strings, each of the same length as the one in its place (the same list as
    // the last span's, often).
    auto* strings = std::get_if<std::vector<std::string>>(&slot.value);
    return strings != nullptr && overwrote_same_length_strings(*strings, value.array, max_chars);
  } else if constexpr (std::is_same_v<Value, bool> || std::is_same_v<Value, std::int64_t> ||
                       std::is_same_v<Value, double>) {
    auto* current = std::get_if<Value>(&slot.value);
    if (current == nullptr) return false;
    *current = value;
    return true;
  } else {
    return false;
  }
}

// set_in_next_slot() for a span no longer writing in sequence: the key filter says whether the key
// may be live. The slot holds this key, whose class the slot keeps.
template <class Value>
[[gnu::noinline]] bool set_in_next_slot_filtered(detail::SpanState& state, std::string_view key,
                                                 const Value& value) noexcept {
  const std::size_t count = state.attribute_count;
  Attributes& attributes = state.attributes;
  if (count >= attributes.size() || count >= state.limits.attribute_count) return false;
  Attribute& slot = attributes[count];
  if (!detail::same_bytes(slot.key, key)) return false;
  catch_up_key_filter(state);
  const unsigned cls = count < detail::SpanState::kClassedSlots ? state.slot_classes[count] : detail::key_class(key);
  assert(cls == detail::key_class(key));
  if (filter_has(state.key_filter, cls)) return false;
  if (!overwrote_slot_value(slot, value, state.limits.attribute_value_length)) return false;
  filter_add(state.key_filter, cls);
  state.filtered = count + 1;
  state.attribute_count = count + 1;
  return true;
}

// The steady state of a recycled record, in few registers: the span writes in sequence (the key
// is not live, see SpanState::distinct_slots), the next slot holds this key, and the value goes over
// the slot's value in place. False, having added no attribute, for anything else. (In sequence, the
// next slot exists and is within the attribute limit: start_span caps distinct_slots at the limit.)
//
// kLiteralKey: `key` is a string literal's text (detail::LiteralKey). A slot may then know it by
// its address (SpanState::slot_static_keys), and remembers it once the bytes compare equal.
template <bool kLiteralKey = false, class Value>
[[gnu::always_inline]] inline bool set_in_next_slot(detail::SpanState& state, std::string_view key,
                                                    const Value& value) noexcept {
  const std::size_t count = state.attribute_count;
  if (count >= state.distinct_slots) return set_in_next_slot_filtered(state, key, value);
  assert(count < state.attributes.size() && count < state.limits.attribute_count);
  Attribute& slot = state.attributes[count];
  if constexpr (kLiteralKey) {
    if (count < detail::SpanState::kStaticKeySlots) {
      const char*& known = state.slot_static_keys[count];
      if (known != key.data() || slot.key.size() != key.size()) {
        if (!detail::same_bytes(slot.key, key)) return false;
        known = key.data();
      }
    } else if (!detail::same_bytes(slot.key, key)) {
      return false;
    }
  } else if (!detail::same_bytes(slot.key, key)) {
    return false;
  }
  if (!overwrote_slot_value(slot, value, state.limits.attribute_value_length)) return false;
  state.attribute_count = count + 1;
  return true;
}

template <class Value>
void set_one(detail::SpanState& state, std::string_view key, Value&& value) {
  std::lock_guard<detail::SpanMutex> lock(state.mutex);
  if (state.ended) return;
  if constexpr (!std::is_same_v<std::decay_t<Value>, AttributeValue>) {
    if (set_in_next_slot(state, key, value)) return;
  }
  set_one_slow(state, key, std::forward<Value>(value));
}

}  // namespace

void SpanRef::set_attribute_value(std::string_view key, AttributeValue value) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    set_one(*state_, key, std::move(value));
  } catch (...) {
    note_failure("set_attribute");
  }
}

void SpanRef::set_attribute_bool(std::string_view key, bool value) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    set_one(*state_, key, value);
  } catch (...) {
    note_failure("set_attribute");
  }
}

void SpanRef::set_attribute_int(std::string_view key, std::int64_t value) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    set_one(*state_, key, value);
  } catch (...) {
    note_failure("set_attribute");
  }
}

void SpanRef::set_attribute_double(std::string_view key, double value) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    set_one(*state_, key, value);
  } catch (...) {
    note_failure("set_attribute");
  }
}

void SpanRef::set_attribute_text(std::string_view key, std::string_view value) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    set_one(*state_, key, TextValue{value});
  } catch (...) {
    note_failure("set_attribute");
  }
}

namespace {

std::string_view text_key(const TextAttribute& text) noexcept { return text.key; }
std::string_view text_key(const detail::LiteralKeyText& text) noexcept { return text.key.view(); }

// set_attribute_texts() and StaticKeyTexts::write(): every text under one acquisition of the span's
// lock, each into the next slot when it can. False when one could not be set (out of memory).
template <class Text>
bool set_texts(detail::SpanState& state, const Text* texts, std::size_t count) noexcept {
  constexpr bool kLiteralKeys = std::is_same_v<Text, detail::LiteralKeyText>;
  try {
    std::lock_guard<detail::SpanMutex> lock(state.mutex);
    if (state.ended) return true;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string_view key = text_key(texts[i]);
      const TextValue value{texts[i].value};
      if (!set_in_next_slot<kLiteralKeys>(state, key, value)) set_one_slow(state, key, value);
    }
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

void SpanRef::set_attribute_texts(const TextAttribute* attributes, std::size_t count) noexcept {
  if (!state_ || !state_->recording || attributes == nullptr || count == 0) return;
  if (!set_texts(*state_, attributes, count)) note_failure("set_attribute");
}

namespace detail {

void StaticKeyTexts::write(const SpanRef& span, const LiteralKeyText* attributes, std::size_t count) noexcept {
  if (!span.state_ || !span.state_->recording || attributes == nullptr || count == 0) return;
  if (!set_texts(*span.state_, attributes, count)) span.note_failure("set_attribute");
}

void StaticKeyTexts::write_leaving_room(const SpanRef& span, std::string_view key, std::string_view value,
                                        std::size_t kept_free) noexcept {
  if (!span.state_ || !span.state_->recording) return;
  try {
    SpanState& state = *span.state_;
    std::lock_guard<SpanMutex> lock(state.mutex);
    if (state.ended) return;
    const SpanLimits& limits = state.limits;
    const std::size_t max_count = limits.attribute_count > kept_free ? limits.attribute_count - kept_free : 0;
    catch_up_key_filter(state);
    upsert(live_attributes(state), key, TextValue{value}, max_count, limits.attribute_value_length,
           state.dropped_attributes_count);
    state.filtered = state.attribute_count;  // upsert adds each new key's class
  } catch (...) {
    span.note_failure("set_attribute");
  }
}

}  // namespace detail

namespace {

// Upserts each leaf of a structured value into a span's attributes (span mutex held).
class SpanAttributeSink {
 public:
  explicit SpanAttributeSink(detail::SpanState& state) noexcept : state_(state), first_(state.attribute_count) {}

  // Writes members of one object into the span's next slots in place, one after another (see
  // put()). A local of flatten_members() whose address is never taken, so its fields stay in
  // registers across the bytes it copies: through the span state, every field would be loaded again
  // after each copied text (a char store may alias anything). commit() sets the span's count.
  class InPlaceCursor {
   public:
    explicit InPlaceCursor(detail::SpanState& state) noexcept {
      const std::size_t count = state.attribute_count;
      // In sequence below distinct_slots only (see SpanState::distinct_slots); out of sequence, the
      // cursor is at its end already.
      const bool in_sequence = count < state.distinct_slots;
      assert(state.distinct_slots <= state.attributes.size());
      assert(state.distinct_slots <= detail::SpanState::kClassedSlots);  // slot_shared covers them
      slots_ = state.attributes.data();
      slot_ = slots_ + count;
      end_ = in_sequence ? slots_ + state.distinct_slots : slot_;
      shared_ = state.slot_shared + (in_sequence ? count : 0);
      max_chars_ = state.limits.attribute_value_length;
    }

    // The member `name` = `value` of the object whose key is the first `base` bytes of the last live
    // attribute's key, followed by "." (the caller knows it is): written over the next slot's value
    // in place when the span writes in sequence there, that slot holds the member's key and the
    // value is a leaf that fits it (see overwrote_slot_value). Then no key is built or looked up:
    // the slot shares more than `base` bytes with the one before it (SpanState::slot_shared) and
    // ends in "." + name. False, having added no attribute, for anything else.
    // prefix_known: the next slot's key is known to begin with the object's key + "." (see
    // next_is_under), so its shared-prefix length need not say so.
    [[gnu::always_inline]] bool put(std::size_t base, std::string_view name, const nlohmann::json& value,
                                    std::size_t depth_left, bool prefix_known) noexcept {
      using json = nlohmann::json;
      if (slot_ == end_) return false;
      if (!prefix_known && *shared_ <= base) return false;
      Attribute& slot = *slot_;
      const AttributeKey& key = slot.key;
      if (key.size() != base + 1 + name.size() ||
          !detail::same_short_bytes({key.data() + base + 1, name.size()}, name)) {
        return false;
      }
      // Tested in turn, texts first (the commonest leaves of typed spans), rather than through a
      // jump table: fewer instructions for the leaves that come first.
      bool written = false;
      const json::value_t type = value.type();
      if (type == json::value_t::string) {
        written = overwrote_slot_value(slot, TextValue{*value.get_ptr<const json::string_t*>()}, max_chars_);
      } else if (type == json::value_t::number_integer) {
        written = overwrote_slot_value(slot, std::int64_t{*value.get_ptr<const json::number_integer_t*>()}, 0);
      } else if (type == json::value_t::number_float) {
        const double d = *value.get_ptr<const json::number_float_t*>();
        written = std::isfinite(d) && overwrote_slot_value(slot, d, 0);
      } else if (type == json::value_t::boolean) {
        written = overwrote_slot_value(slot, *value.get_ptr<const json::boolean_t*>(), 0);
      } else if (type == json::value_t::array) {
        written = depth_left > 0 && overwrote_slot_value(slot, JsonArray{value, depth_left}, max_chars_);
      }
      // Anything else (objects, nulls, and the rare leaves: unsigned past INT64_MAX, non-finite,
      // binary, arrays at the depth limit) takes the general path. (put_leaf() with a sink writing
      // into the slot serves the same leaves, at +114 instructions per typed span: this is the hot
      // path.)
      if (!written) return false;
      ++slot_;
      ++shared_;
      return true;
    }

   private:
    friend class SpanAttributeSink;
    Attribute* slots_;
    Attribute* slot_;              // the next slot: attributes[attribute_count]
    Attribute* end_;               // attributes[distinct_slots], or the next slot when the span writes out of sequence
    const std::uint16_t* shared_;  // slot_shared[attribute_count] while slot_ is before end_
    std::size_t max_chars_;
  };

  // A cursor at the span's next slot, for members that go into their places (see flatten_members).
  [[gnu::always_inline]] InPlaceCursor in_place_cursor() const noexcept { return InPlaceCursor(state_); }
  // The members the cursor wrote become the span's live attributes.
  [[gnu::always_inline]] void commit(const InPlaceCursor& cursor) noexcept {
    state_.attribute_count = static_cast<std::size_t>(cursor.slot_ - cursor.slots_);
  }

  // Whether the span writes in sequence and its next slot's key is `prefix` + "." + something: an
  // object's first member may then go into its place by its name (InPlaceCursor::put with
  // prefix_known).
  [[gnu::always_inline]] bool next_is_under(std::string_view prefix) const noexcept {
    const std::size_t count = state_.attribute_count;
    return count < state_.distinct_slots && is_under(state_.attributes[count].key, prefix);
  }

  // A member about to be put under its whole key (see last_is_under).
  [[gnu::always_inline]] void begin_member() noexcept { in_sequence_ = false; }

  // Whether the last live attribute's key is `prefix` + "." + something, every leaf since
  // begin_member() having gone under `prefix` + "." (the member's key, built). Known without a
  // compare when the last leaf put under its key went into the next slot, which held that key.
  // (False, too, when the span no longer writes in sequence: then no member goes in place, and a
  // record made new or written out of order need not compare.)
  [[gnu::always_inline]] bool last_is_under(std::string_view prefix) const noexcept {
    if (in_sequence_) return true;
    const std::size_t count = state_.attribute_count;
    if (count == 0 || count >= state_.distinct_slots) return false;
    return is_under(state_.attributes[count - 1].key, prefix);
  }

  [[gnu::always_inline]] void array_leaf(std::string_view key, const nlohmann::json& array, std::size_t depth_left) {
    const JsonArray value{array, depth_left};
    in_sequence_ = set_in_next_slot(state_, key, value);
    if (!in_sequence_) set_leaf_slow(state_, key, value, first_);
  }
  [[gnu::always_inline]] void text_leaf(std::string_view key, std::string_view text) { put(key, TextValue{text}); }
  [[gnu::always_inline]] void bool_leaf(std::string_view key, bool value) { put(key, value); }
  [[gnu::always_inline]] void int_leaf(std::string_view key, std::int64_t value) { put(key, value); }
  [[gnu::always_inline]] void double_leaf(std::string_view key, double value) { put(key, value); }

 private:
  template <class Value>
  [[gnu::always_inline]] void put(std::string_view key, Value value) {
    in_sequence_ = set_in_next_slot(state_, key, value);
    if (!in_sequence_) set_leaf_slow(state_, key, value, first_);
  }

  // Whether `key` is `prefix` + "." + something.
  [[gnu::always_inline]] static bool is_under(const AttributeKey& key, std::string_view prefix) noexcept {
    return key.size() > prefix.size() && key[prefix.size()] == '.' &&
           detail::same_bytes({key.data(), prefix.size()}, prefix);
  }

  detail::SpanState& state_;
  std::size_t first_;  // the value's first slot: attribute_count when the walk began
  // The last leaf this sink put under its whole key (array_leaf, put; not put_member_in_next_slot)
  // went into the next slot, which held that key.
  bool in_sequence_ = false;
};

}  // namespace

void SpanRef::set_structured(std::string_view prefix, const nlohmann::json& value) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    detail::SpanState& state = *state_;
    std::lock_guard<detail::SpanMutex> lock(state.mutex);
    if (state.ended) return;
    const SpanLimits& limits = state.limits;
    // Room for an object's keys at once, and at least double: typed spans take several structured
    // values, and every regrowth moves each attribute already there. (Counted from the live
    // attributes: recycled slots past them are written over, not added. Doubling stops at what a
    // recycled record keeps, so a typed span's vector is not freed at its end for being too large.)
    auto& attributes = state_->attributes;
    const std::size_t leaves = value.is_object() ? value.size() : 1;
    const std::size_t needed = state_->attribute_count + leaves;
    if (needed > attributes.capacity()) {
      std::size_t doubled = 2 * attributes.capacity();
      if (doubled > detail::kMaxKeptAttributes) doubled = detail::kMaxKeptAttributes;
      const std::size_t wanted = needed > doubled ? needed : doubled;
      attributes.reserve(wanted < limits.attribute_count ? wanted : limits.attribute_count);
    }
    // Flattened straight into the span: each key is built in one reused buffer and copied once,
    // into the attribute, and only when the key is new.
    SpanAttributeSink sink(state);
    detail::KeyBuffer key(prefix);
    // At most kMaxJsonDepth levels: the walk recurses once per level.
    const std::size_t max_depth =
        limits.structured_max_depth < detail::kMaxJsonDepth ? limits.structured_max_depth : detail::kMaxJsonDepth;
    try {
      detail::flatten_into(key, value, max_depth, sink);
    } catch (...) {
      delete std::exchange(state.structured_overwrites, nullptr);
      throw;
    }
    // Leaves wrote over live attributes: what they dropped, if any, is reported (finish_overwrites).
    // (Through `state`, a local: state_ would be loaded again after the walk's stores.)
    if (state.structured_overwrites != nullptr) finish_overwrites(state);
  } catch (...) {
    note_failure("set_structured");
  }
}

namespace {

// The time of an event given at `time_unix_nanos` (0: now) on `state`'s span.
UnixNanos event_time(const detail::SpanState& state, UnixNanos time_unix_nanos) noexcept {
  if (time_unix_nanos != 0) return time_unix_nanos;
  if (state.start_steady_nanos == 0) return now_unix_nanos();
  // On the span's own timeline (its wall start + monotonic time since), so a wall-clock step cannot
  // put an event before its span's start.
  const std::uint64_t now = detail::span_steady_nanos();
  return state.start_unix_nanos + (now > state.start_steady_nanos ? now - state.start_steady_nanos : 0);
}

// The steady state of a recycled record, in few registers: an event without attributes over the
// next event slot, which holds this name already. False, having changed nothing, for anything else
// (add_event_to then does the rest). Span mutex held, span not ended.
bool add_event_in_next_slot(detail::SpanState& state, std::string_view name, UnixNanos time) noexcept {
  auto& events = state.events;
  const std::size_t count = state.event_count;
  if (count >= state.limits.event_count || count >= events.size()) return false;
  SpanEvent& slot = events[count];
  if (!detail::same_bytes(slot.name, name)) return false;
  slot.attributes.clear();
  slot.time_unix_nanos = time;
  slot.dropped_attributes_count = 0;
  state.event_count = count + 1;
  return true;
}

// add_event's general body (may throw bad_alloc).
[[gnu::noinline]] void add_event_to(detail::SpanState& state, std::string_view name, Attributes&& attributes,
                                    UnixNanos time) {
  const SpanLimits& limits = state.limits;
  std::uint32_t dropped_attributes = 0;
  if (!attributes.empty()) {
    attributes =
        limited(std::move(attributes), limits.event_attribute_count, limits.attribute_value_length, dropped_attributes);
  }
  std::lock_guard<detail::SpanMutex> lock(state.mutex);
  if (state.ended) return;
  auto& events = state.events;
  std::size_t& count = state.event_count;
  if (count >= limits.event_count) {
    state.dropped_events_count = saturating_increment(state.dropped_events_count);
    return;
  }
  if (count < events.size()) {
    // A recycled slot (like an attribute slot): its name's buffer and text are reused. It is not an
    // event until the count covers it, so a failure part way leaves nothing behind.
    SpanEvent& slot = events[count];
    detail::store_repaired_text(slot.name, name);
    if (attributes.empty()) {
      slot.attributes.clear();
    } else {
      slot.attributes = std::move(attributes);
    }
    slot.time_unix_nanos = time;
    slot.dropped_attributes_count = dropped_attributes;
  } else {
    SpanEvent event;
    event.name = sanitized_key(name);
    event.time_unix_nanos = time;
    event.attributes = std::move(attributes);
    event.dropped_attributes_count = dropped_attributes;
    events.push_back(std::move(event));
  }
  ++count;
}

}  // namespace

void SpanRef::add_event(std::string_view name, Attributes attributes, UnixNanos time_unix_nanos) noexcept {
  if (!state_ || !state_->recording) return;
  detail::SpanState& state = *state_;
  const UnixNanos time = event_time(state, time_unix_nanos);
  if (attributes.empty()) {
    std::lock_guard<detail::SpanMutex> lock(state.mutex);
    if (state.ended) return;
    if (add_event_in_next_slot(state, name, time)) return;
  }
  try {
    add_event_to(state, name, std::move(attributes), time);
  } catch (...) {
    note_failure("add_event");
  }
}

void SpanRef::add_link(const SpanContext& context, Attributes attributes) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    const SpanLimits& limits = state_->limits;
    SpanLink link;
    link.context = context;
    link.attributes = limited(std::move(attributes), limits.link_attribute_count, limits.attribute_value_length,
                              link.dropped_attributes_count);
    std::lock_guard<detail::SpanMutex> lock(state_->mutex);
    if (state_->ended) return;
    if (state_->links.size() >= limits.link_count) {
      state_->dropped_links_count = saturating_increment(state_->dropped_links_count);
      return;
    }
    state_->links.push_back(std::move(link));
  } catch (...) {
    note_failure("add_link");
  }
}

void SpanRef::set_status(StatusCode code, std::string_view description) noexcept {
  if (!state_ || !state_->recording || code == StatusCode::unset) return;
  try {
    std::string text = code == StatusCode::error ? sanitized_key(description) : std::string();
    std::lock_guard<detail::SpanMutex> lock(state_->mutex);
    if (state_->ended || state_->status.code == StatusCode::ok) return;
    state_->status.code = code;
    state_->status.description = std::move(text);
  } catch (...) {
    note_failure("set_status");
  }
}

void SpanRef::update_name(std::string_view name) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    std::string text = sanitized_key(name);
    std::lock_guard<detail::SpanMutex> lock(state_->mutex);
    if (state_->ended) return;
    state_->name = std::move(text);
  } catch (...) {
    note_failure("update_name");
  }
}

namespace {

// Ends `state`'s span (end time 0 = now). Returns the provider whose processors are to receive it;
// null when the span was ended already or does not record.
std::shared_ptr<Provider> close_span(detail::SpanState& state, UnixNanos end_unix_nanos) noexcept {
  std::lock_guard<detail::SpanMutex> lock(state.mutex);
  if (state.ended) return nullptr;
  state.ended = true;
  if (!state.recording) return nullptr;
  if (end_unix_nanos == 0 && state.start_steady_nanos != 0) {
    // Duration from the monotonic clock, so a wall-clock step never makes it negative.
    const std::uint64_t now = detail::span_steady_nanos();
    const std::uint64_t elapsed = now > state.start_steady_nanos ? now - state.start_steady_nanos : 0;
    end_unix_nanos = state.start_unix_nanos + elapsed;
  } else if (end_unix_nanos == 0) {
    end_unix_nanos = now_unix_nanos();  // the start came from the user: both ends on the wall clock
  }
  state.end_unix_nanos = end_unix_nanos < state.start_unix_nanos ? state.start_unix_nanos : end_unix_nanos;
  // Recycled slots this span did not use are not its attributes or events.
  // (Compared as positions: a vector's size() divides by the element size.)
  Attributes& attributes = state.attributes;
  detail::note_attribute_count(state.attribute_count);
  const auto unused_attributes = attributes.begin() + static_cast<std::ptrdiff_t>(state.attribute_count);
  if (unused_attributes != attributes.end()) attributes.erase(unused_attributes, attributes.end());
  auto& events = state.events;
  const auto unused_events = events.begin() + static_cast<std::ptrdiff_t>(state.event_count);
  if (unused_events != events.end()) events.erase(unused_events, events.end());
  return std::move(state.provider);
}

// Processors run without the span's lock held; the data is immutable from here on.
void hand_to_processors(const Provider& provider, const SpanDataPtr& finished) noexcept {
  for (const auto& processor : provider.processors()) processor->on_end(finished);
}

}  // namespace

// While this thread finds no records to take, the next span's record is prepared from this one
// (core/span_record_pool.hpp), before the processors have it: once they do, the last reference may
// go at any time on another thread.
void SpanRef::end(UnixNanos end_unix_nanos) noexcept {
  if (!state_) return;
  const std::shared_ptr<Provider> provider = close_span(*state_, end_unix_nanos);
  if (!provider) return;
  if (detail::t_span_records_dry) detail::prepare_record_like(*state_);
  hand_to_processors(*provider, SpanDataPtr(state_));
}

void SpanRef::end_releasing() noexcept {
  if (!state_) return;
  const std::shared_ptr<Provider> provider = close_span(*state_, 0);
  if (!provider) return;
  if (detail::t_span_records_dry) detail::prepare_record_like(*state_);
  hand_to_processors(*provider, SpanDataPtr(std::move(state_)));
}

namespace {

// Applies the content policy to a user value of `field`; returns the value to record.
nlohmann::json apply_content_policy(const ContentPolicy* policy, std::string_view field, const nlohmann::json& value,
                                    bool is_content) {
  if (policy == nullptr) return value;
  // The whole value is copied, given to the mask and dumped here: cut where it nests too deep for
  // that (core/json_depth.hpp), as flattening would cut it anyway.
  nlohmann::json result = detail::copy_within_depth(value);
  if (policy->mask) {
    try {
      result = detail::copy_within_depth(policy->mask(field, result));
    } catch (...) {
      return nlohmann::json("[masking failed]");
    }
  }
  if (is_content && !policy->record_content) {
    const std::string text = result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return nlohmann::json{{"_size_bytes", text.size()}};
  }
  return result;
}

}  // namespace

void SpanRef::set_inputs(const nlohmann::json& value) noexcept {
  if (!state_ || !state_->recording) return;
  // Without a policy the value is flattened where it is: no copy (destroying a nested JSON copy
  // allocates inside nlohmann::json, which cannot fail safely).
  if (state_->content == nullptr) return set_structured("honeyhive_inputs", value);
  try {
    set_structured("honeyhive_inputs", apply_content_policy(state_->content.get(), "inputs", value, true));
  } catch (...) {
    note_failure("set_inputs");
  }
}

void SpanRef::set_outputs(const nlohmann::json& value) noexcept {
  if (!state_ || !state_->recording) return;
  // Without a policy the value is flattened where it is: no copy (destroying a nested JSON copy
  // allocates inside nlohmann::json, which cannot fail safely).
  if (state_->content == nullptr) return set_structured("honeyhive_outputs", value);
  try {
    set_structured("honeyhive_outputs", apply_content_policy(state_->content.get(), "outputs", value, true));
  } catch (...) {
    note_failure("set_outputs");
  }
}

void SpanRef::set_metadata(const nlohmann::json& value) noexcept {
  if (!state_ || !state_->recording) return;
  // Without a policy the value is flattened where it is: no copy (destroying a nested JSON copy
  // allocates inside nlohmann::json, which cannot fail safely).
  if (state_->content == nullptr) return set_structured("honeyhive_metadata", value);
  try {
    set_structured("honeyhive_metadata", apply_content_policy(state_->content.get(), "metadata", value, false));
  } catch (...) {
    note_failure("set_metadata");
  }
}

void SpanRef::set_metrics(const nlohmann::json& value) noexcept { set_structured("honeyhive_metrics", value); }
void SpanRef::set_feedback(const nlohmann::json& value) noexcept { set_structured("honeyhive_feedback", value); }
void SpanRef::set_config(const nlohmann::json& value) noexcept { set_structured("honeyhive_config", value); }
void SpanRef::set_user_properties(const nlohmann::json& value) noexcept {
  set_structured("honeyhive_user_properties", value);
}

void SpanRef::set_error(std::string_view message, std::string_view type) noexcept {
  if (!state_ || !state_->recording) return;
  try {
    set_attribute_value("honeyhive_error", AttributeValue{std::string(message)});
    Attributes event_attributes{{"exception.message", AttributeValue{std::string(message)}}};
    if (!type.empty()) {
      set_attribute_value("honeyhive_error_type", AttributeValue{std::string(type)});
      event_attributes.push_back({"exception.type", AttributeValue{std::string(type)}});
    }
    add_event("exception", std::move(event_attributes));
    set_status(StatusCode::error, message);
  } catch (...) {
    note_failure("set_error");
  }
}

void SpanRef::record_exception(const std::exception& error) noexcept {
  const char* what = nullptr;
  try {
    what = error.what();
  } catch (...) {
  }
  const char* mangled = typeid(error).name();
  int status = 0;
  // __cxa_demangle allocates with malloc; the unique_ptr frees it.
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  set_error(what != nullptr ? what : "unknown exception", status == 0 && readable ? readable.get() : mangled);
}

Scope SpanRef::activate() const noexcept {
  // Context::current().with_span(*this), built in place: one copy of the baggage pointer and none
  // of the span pointer it replaces, moved into the scope.
  Context context;
  context.baggage_ = detail::current_context_ref().baggage_;
  context.span_ = state_;
  if (state_) context.span_context_ = state_->context;
  return Scope(std::move(context));
}

}  // namespace honeyhive
