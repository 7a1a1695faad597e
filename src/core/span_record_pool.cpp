#include "core/span_record_pool.hpp"

#include <pthread.h>

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace honeyhive::detail {
namespace {

// Empties `text`, keeping its buffer while `budget` allows, else freeing it.
[[gnu::always_inline]] inline void keep_or_free(std::string& text, std::size_t& budget) noexcept {
  const std::size_t bytes = text.capacity();
  if (bytes <= budget) {
    budget -= bytes;
    text.clear();
  } else {
    std::string().swap(text);
  }
}

// Keeps within `budget` the storage of `key` and the key in it, else frees it (the key is then "").
// A block that other keys share counts whole: what this record may pin.
[[gnu::always_inline]] inline void keep_key(AttributeKey& key, std::size_t& budget) noexcept {
  if (key.capacity() <= budget) {
    budget -= key.capacity();
  } else {
    key = AttributeKey();
  }
}

// Keeps within `budget` the buffer of `text` and the text in it, else frees it.
[[gnu::always_inline]] inline void keep_text(std::string& text, std::size_t& budget) noexcept {
  if (text.capacity() <= budget) {
    budget -= text.capacity();
  } else {
    std::string().swap(text);
  }
}

// Whether a list of strings may stay, its buffers and text, within `budget` (taken from it if so).
[[gnu::always_inline]] inline bool keep_texts(const std::vector<std::string>& texts, std::size_t& budget) noexcept {
  if (texts.capacity() > kMaxKeptListItems) return false;
  std::size_t bytes = texts.capacity() * sizeof(std::string);
  for (const auto& text : texts) bytes += text.capacity();
  if (bytes > budget) return false;
  budget -= bytes;
  return true;
}

// Keeps `slot`'s key and string value, buffers and text, within `budget`; other values are released.
// The text stays because the next span often writes the same key into the same slot, and then need
// not copy it, and a value of the same length is overwritten in place. A slot is not an attribute
// until a span writes it.
// Returns false when it freed the key.
[[gnu::always_inline]] inline bool keep_slot(Attribute& slot, std::uint16_t& slot_class, std::size_t& budget) noexcept {
  const bool key_kept = slot.key.capacity() <= budget;
  // A freed key is "": the slot keeps that key's class.
  if (!key_kept) slot_class = static_cast<std::uint16_t>(key_class(std::string_view()));
  keep_key(slot.key, budget);
  if (auto* text = std::get_if<std::string>(&slot.value)) {
    keep_text(*text, budget);
  } else if (auto* texts = std::get_if<std::vector<std::string>>(&slot.value);
             texts != nullptr && keep_texts(*texts, budget)) {
    // A short list of strings (tags, say) stays whole: the next span's list of as many strings is
    // written into its buffers.
  } else if (slot.value.index() > 3) {
    slot.value.emplace<bool>(false);  // any other array: its elements are not reused
  }
  return key_kept;
}

// Keeps an event's name, buffer and text, within `budget`; its attributes are released.
[[gnu::always_inline]] inline void keep_event_slot(SpanEvent& event, std::size_t& budget) noexcept {
  keep_text(event.name, budget);
  if (event.attributes.capacity() > 0) Attributes().swap(event.attributes);
}

template <class T>
void clear_keeping(std::vector<T>& items, std::size_t max_capacity) noexcept {
  items.clear();
  if (items.capacity() > max_capacity) std::vector<T>().swap(items);
}

constexpr bool kPoolEnabled = kSpanRecordsRecycled;

// The shared records: a bounded array behind a lock that is only ever try-locked, so neither a
// producer nor the export thread ever waits for the other (a lock still busy after a few pauses
// means new/delete this once, see TryLock).
// Constant-initialised and trivially destructible: usable from any thread at any time, static
// destruction included (records still here at exit are not destroyed). In a fork child a lock held
// by a vanished thread only turns the shared part of the pool off there (see TryLock).
struct Shared {
  TryLock mutex;
  std::size_t count = 0;
  SpanRecord* records[kSharedRecords] = {};
};
Shared g_shared;

void mark_shared_lock_dead_in_child() noexcept { g_shared.mutex.mark_dead_if_held(); }
// Installed when the library is loaded, before any thread can hold the lock.
[[maybe_unused]] const bool g_fork_child_handler_installed =
    pthread_atfork(nullptr, nullptr, &mark_shared_lock_dead_in_child) == 0;

// Counted for the benchmarks and tests: one relaxed add beside each new or delete of a record.
std::atomic<std::uint64_t> g_made_records{0};
std::atomic<std::uint64_t> g_deleted_records{0};

// Onto the shared array when its lock can be had within a few pauses and it has room, else deleted.
void give_shared(SpanRecord* record) noexcept {
  if (g_shared.mutex.try_lock()) {
    if (g_shared.count < kSharedRecords) {
      g_shared.records[g_shared.count++] = record;
      g_shared.mutex.unlock();
      return;
    }
    g_shared.mutex.unlock();
  }
  g_deleted_records.fetch_add(1, std::memory_order_relaxed);
  delete record;
}

enum class ListState : unsigned char { unused, alive, destroyed };

// This thread's state; trivially destructible, so it can still be read after the list itself has
// been destroyed at thread exit.
thread_local ListState t_list_state = ListState::unused;

// A thread's own records: taken from here without any lock.
struct LocalList {
  std::size_t count = 0;
  SpanRecord* records[kLocalRecords];
  LocalList() noexcept { t_list_state = ListState::alive; }
  ~LocalList() {
    t_list_state = ListState::destroyed;
    while (count > 0) give_shared(records[--count]);
  }
};

thread_local LocalList t_list;

LocalList* local_list() noexcept {
  if (t_list_state == ListState::destroyed) return nullptr;
  return &t_list;  // constructs it on this thread's first use
}

}  // namespace

void SpanState::recycle() noexcept {
  provider.reset();
  content.reset();
  // The resource and scope stay (immutable, and referring to no provider or tracer): the next span
  // from this record usually has the same ones, and start_span then copies no shared_ptr.
  context = SpanContext();
  parent_span_id = SpanId();
  parent_is_remote = false;
  kind = SpanKind::internal;
  start_unix_nanos = 0;
  end_unix_nanos = 0;
  dropped_attributes_count = 0;
  dropped_events_count = 0;
  dropped_links_count = 0;
  status.code = StatusCode::unset;
  start_steady_nanos = 0;
  ended = false;
  recording = false;

  std::size_t budget = kMaxKeptBytes;
  // The name keeps its text, like a slot's key: the next span from this record often has the same
  // name and need not copy it (start_span compares first).
  keep_text(name, budget);
  keep_or_free(status.description, budget);
  // Events stay as slots too, their names' buffers and text kept within the budget.
  if (!events.empty()) {  // (empty: its capacity is at most kMaxKeptEntries, see end())
    if (events.capacity() > kMaxKeptEntries) {
      std::vector<SpanEvent>().swap(events);
    } else {
      for (auto& event : events) keep_event_slot(event, budget);
    }
  }
  event_count = 0;
  // This span's attributes stay where they are, emptied, as the next span's slots. Their buffers
  // are walked against what is left of the budget only when one may have grown since the last walk
  // (slots_grown), or less is left now than then: otherwise they hold what that walk kept, written
  // over in place, and still fit. A typed span's 40 slots then cost nothing here.
  // The slots' keys are this span's live keys, pairwise distinct, unless a key is freed here (two
  // freed keys are both ""): the next span writes in sequence up to there (see distinct_slots).
  distinct_slots = attribute_count;
  if (attributes.capacity() > kMaxKeptAttributes) {
    Attributes().swap(attributes);
    distinct_slots = 0;
  } else if (slots_grown || budget < slot_budget) {
    slot_budget = budget;
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      if (keep_slot(attributes[i], slot_classes[i], budget)) continue;
      if (i < distinct_slots) distinct_slots = i;
      slot_keys_written = true;  // freed: its key is "" now
    }
  }
  if (slot_keys_written) {
    for (std::size_t i = 1; i < attributes.size() && i < kClassedSlots; ++i) {
      slot_shared[i] = shared_prefix(attributes[i - 1].key, attributes[i].key);
    }
    for (auto& key : slot_static_keys) key = nullptr;
    slot_keys_written = false;
  }
  assert(distinct_slots <= attributes.size());  // the live attributes are among the slots
  assert(distinct_slots <= kClassedSlots);      // (see SpanState::distinct_slots)
  slots_grown = false;
  attribute_count = 0;
  if (filtered != 0) {
    for (auto& word : key_filter) word = 0;
    filtered = 0;
  }
  clear_keeping(links, kMaxKeptEntries);
}

SpanRecord* take_span_record() {
  if (kPoolEnabled) {
    if (LocalList* list = local_list()) {
      if (list->count == 0 && g_shared.mutex.try_lock()) {
        // Refill: what a thread holds stays bounded (kLocalRecords), and copying pointers out of an
        // array costs no walk through records that are out of cache. The top of the shared stack
        // (the record released last) goes last into the list, so it is taken first: records come
        // back in the order their spans ended, and the next spans are often of the same kinds in
        // the same order (their names, keys and values then match the records' and are not copied).
        const std::size_t moved = g_shared.count < kLocalRecords ? g_shared.count : kLocalRecords;
        for (std::size_t i = moved; i > 0; --i) list->records[i - 1] = g_shared.records[--g_shared.count];
        g_shared.mutex.unlock();
        list->count = moved;
        t_span_records_dry = moved == 0;
      }
      if (list->count > 0) return list->records[--list->count];
      t_span_records_dry = true;
    }
  }
  auto record = std::make_unique<SpanRecord>();
  g_made_records.fetch_add(1, std::memory_order_relaxed);
  if (const std::uint32_t slots = g_attribute_count_hint.load(std::memory_order_relaxed); slots > 0) {
    record->state.attributes.reserve(slots);
  }
  return record.release();
}

namespace {

// Counted for tests: one relaxed add per prepared record, beside its copy's dozens of allocations.
std::atomic<std::uint64_t> g_prepared_records{0};

// What recycle() will count for a copy of `text` (its capacity): the copy's length, or the
// string's inline room for a short text. Used to leave out values too large to keep before copying
// them; what is kept is then counted exactly (kept_slot_bytes).
inline std::size_t least_copy_capacity(std::string_view text) noexcept {
  // libstdc++'s inline room. Elsewhere only the estimate changes: a slot that fits is still counted
  // exactly after its copy, and one that does not is taken out again.
  constexpr std::size_t kInlineRoom = 15;
  return text.size() > kInlineRoom ? text.size() : kInlineRoom;
}

// What recycle() counts against its budget for `slot` (keep_slot): its key's buffer, and its string
// value's or short list's buffers.
inline std::size_t kept_slot_bytes(const Attribute& slot) noexcept {
  std::size_t bytes = slot.key.capacity();
  if (const auto* text = std::get_if<std::string>(&slot.value)) return bytes + text->capacity();
  if (const auto* texts = std::get_if<std::vector<std::string>>(&slot.value)) {
    bytes += texts->capacity() * sizeof(std::string);
    for (const auto& text : *texts) bytes += text.capacity();
  }
  return bytes;
}

// Appends to `slots` the slot a recycled record would keep of `attribute`, when it fits in `budget`
// (taken from it): its key, and its value as it is (a scalar, a string, a list of up to
// kMaxKeptListItems strings) or as false (any other array: recycle() does not keep its elements).
// False, having appended nothing, when it does not fit.
bool appended_slot(Attributes& slots, const Attribute& attribute, std::size_t& budget) {
  // A key's copy shares its storage: counted as recycle() counts it.
  std::size_t least = attribute.key.capacity();
  bool whole = attribute.value.index() <= 3;  // a scalar or a string
  if (const auto* text = std::get_if<std::string>(&attribute.value)) {
    least += least_copy_capacity(*text);
  } else if (const auto* texts = std::get_if<std::vector<std::string>>(&attribute.value);
             texts != nullptr && texts->size() <= kMaxKeptListItems) {
    whole = true;
    least += texts->size() * sizeof(std::string);
    for (const auto& item : *texts) least += least_copy_capacity(item);
  }
  if (least > budget) return false;  // not even copied
  if (whole) {
    slots.push_back(attribute);
  } else {
    slots.push_back(Attribute{attribute.key, AttributeValue{false}});
  }
  const std::size_t bytes = kept_slot_bytes(slots.back());
  if (bytes > budget) {
    slots.pop_back();
    return false;
  }
  budget -= bytes;
  return true;
}

}  // namespace

void prepare_record_like(const SpanState& ended) noexcept {
  if (!kPoolEnabled) return;
  // A span without attributes leaves nothing worth copying: its next span makes its record itself.
  if (ended.attributes.empty()) return;
  LocalList* list = local_list();
  if (list == nullptr || list->count >= kLocalRecords) return;
  // Records may have come back since this thread last looked: then it takes those instead. (A busy
  // lock means records are moving: no copy this time.)
  if (!g_shared.mutex.try_lock()) return;
  if (g_shared.count > 0) {
    const std::size_t room = kLocalRecords - list->count;
    const std::size_t moved = g_shared.count < room ? g_shared.count : room;
    for (std::size_t i = moved; i > 0; --i) list->records[list->count + i - 1] = g_shared.records[--g_shared.count];
    g_shared.mutex.unlock();
    list->count += moved;
    t_span_records_dry = false;
    return;
  }
  g_shared.mutex.unlock();
  try {
    auto record = std::make_unique<SpanRecord>();
    SpanState& state = record->state;
    // What recycle() leaves the slots once it has kept the name (the next span's name, often this
    // one) and the empty status description: the slots are copied within it, and their record,
    // like one recycled, needs no walk unless a later write grows a buffer.
    std::size_t budget = kMaxKeptBytes - state.status.description.capacity();
    if (least_copy_capacity(ended.name) <= budget) state.name = ended.name;
    if (state.name.capacity() > budget) std::string().swap(state.name);
    budget -= state.name.capacity();
    state.resource = ended.resource;
    state.scope = ended.scope;
    Attributes& slots = state.attributes;
    const std::size_t n = ended.attributes.size() < kMaxKeptAttributes ? ended.attributes.size() : kMaxKeptAttributes;
    slots.reserve(n);
    std::size_t left = budget;
    for (std::size_t i = 0; i < n && appended_slot(slots, ended.attributes[i], left); ++i) {
    }
    state.slot_budget = budget;
    // The live keys of one span are pairwise distinct: the next span writes in sequence over them.
    // Their classes are the ended span's (see SpanState::slot_classes); so are their shared
    // prefixes when the ended span wrote no slot's key (a span on a recycled or prepared record
    // writing the same keys), else they are counted here.
    const std::size_t kept = slots.size();
    std::memcpy(state.slot_classes, ended.slot_classes, kept * sizeof(ended.slot_classes[0]));
    if (!ended.slot_keys_written) {
      std::memcpy(state.slot_shared, ended.slot_shared, kept * sizeof(ended.slot_shared[0]));
    } else {
      for (std::size_t i = 1; i < kept; ++i) state.slot_shared[i] = shared_prefix(slots[i - 1].key, slots[i].key);
    }
    state.distinct_slots = kept;
    list->records[list->count++] = record.release();
    g_prepared_records.fetch_add(1, std::memory_order_relaxed);
    g_made_records.fetch_add(1, std::memory_order_relaxed);
  } catch (...) {
    // Out of memory: the next span makes its record itself.
  }
}

std::uint64_t prepared_span_records() noexcept { return g_prepared_records.load(std::memory_order_relaxed); }
std::uint64_t made_span_records() noexcept { return g_made_records.load(std::memory_order_relaxed); }
std::uint64_t deleted_span_records() noexcept { return g_deleted_records.load(std::memory_order_relaxed); }
TryLock& shared_span_records_lock() noexcept { return g_shared.mutex; }

void give_span_record(SpanRecord* record) noexcept {
  if (record == nullptr) return;
  if (!kPoolEnabled) {
    g_deleted_records.fetch_add(1, std::memory_order_relaxed);
    delete record;
    return;
  }
  // Straight to the shared array, even from a thread that starts spans itself: a releasing thread
  // that kept records in its own list first (the export thread never starts spans) made workload
  // (b) slower (8,565 -> 10,409 instructions per span under callgrind, measured on raw blocks).
  give_shared(record);
}

}  // namespace honeyhive::detail
