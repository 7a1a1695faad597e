#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "honeyhive/core/provider.hpp"
#include "honeyhive/core/span_data.hpp"
#include "honeyhive/core/span_limits.hpp"
#include "honeyhive/core/spin_mutex.hpp"

namespace honeyhive::detail {

// A span's lock: one thread at a time takes it, for well under a microsecond (a setter).
using SpanMutex = SpinMutex;

// The filter bit of `key` (0-511): its word in the high 3 bits, its bit in the low 6. A
// multiplicative hash of the last 8 bytes, 8 bytes from the middle and the length: flattened keys
// share long prefixes ("honeyhive_inputs.", "honeyhive_outputs.") and often their last bytes too
// ("inputs.user.id", "outputs.user.id"), so one byte of each would collide.
[[gnu::always_inline]] inline unsigned key_class(std::string_view key) noexcept {
  const std::size_t n = key.size();
  const char* p = key.data();
  std::uint64_t last = 0;
  std::uint64_t middle = 0;
  if (n >= 8) {
    std::memcpy(&last, p + n - 8, 8);
    std::memcpy(&middle, p + (n - 8) / 2, 8);
  } else {
    for (std::size_t i = 0; i < n; ++i) last = last << 8U | static_cast<unsigned char>(p[i]);
  }
  const std::uint64_t h =
      last * 0x9E3779B97F4A7C15ULL ^ middle * 0xC2B2AE3D27D4EB4FULL ^ (n + 1) * 0x165667B19E3779F9ULL;
  return static_cast<unsigned>(h >> 55U);
}

// How many leading bytes `a` and `b` have in common, capped at UINT16_MAX (see slot_shared).
// Compared a word at a time: keys under one prefix share 10-30 bytes.
inline std::uint16_t shared_prefix(std::string_view a, std::string_view b) noexcept {
  std::size_t n = a.size() < b.size() ? a.size() : b.size();
  if (n > UINT16_MAX) n = UINT16_MAX;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::uint64_t y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) {
      // The first differing byte: the lowest of x ^ y in memory order.
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      return static_cast<std::uint16_t>(i + static_cast<std::size_t>(__builtin_clzll(x ^ y)) / 8);
#else
      return static_cast<std::uint16_t>(i + static_cast<std::size_t>(__builtin_ctzll(x ^ y)) / 8);
#endif
    }
  }
  while (i < n && a[i] == b[i]) ++i;
  return static_cast<std::uint16_t>(i);
}

// What one SpanRef::set_structured call wrote over (core/span.cpp).
struct StructuredOverwrites;

// The shared, mutable state behind Span/SpanRef handles. Its SpanData part is guarded by `mutex`
// until `ended` is set; after that it is immutable and handed to processors as a SpanDataPtr to
// that base (one allocation per span, no copy at end; a Span that ends as it is destroyed moves its
// reference there, with no count traffic). States live in recycled span records
// (core/span_record_pool.hpp): when the last reference goes, recycle() empties the state and the
// record serves a later span.
struct SpanState : SpanData {
  SpanMutex mutex;
  std::uint64_t start_steady_nanos = 0;  // 0 when the user gave the start time
  // Held while the span is open and released when it ends: a finished span (kept by an exporter,
  // a queue or a context) must not keep its provider alive, or provider -> processor -> exporter ->
  // span -> provider would be a cycle that is never freed.
  std::shared_ptr<Provider> provider;            // null for a non-recording or ended span
  SpanLimits limits;                             // copied at start: setters never reach through the provider
  std::shared_ptr<const ContentPolicy> content;  // null: record everything as given
  bool ended = false;                            // guarded by mutex
  bool recording = false;                        // fixed at start
  // Whether a write since the last recycle may have grown a slot's buffer (a new or longer key or
  // string, a new list, a new slot); recycle() then walks the slots against its budget, and
  // otherwise leaves them, as nothing in them grew. Guarded by `mutex`.
  bool slots_grown = false;
  // Whether a slot's key was written since recycle() last set slot_shared. Guarded by `mutex`.
  bool slot_keys_written = false;
  // Live attributes are attributes[0, attribute_count). While the span is open, the elements
  // after them are slots left by the last span in this record: not attributes, but their key and
  // string value keep buffer and text. The next new attribute is written into the next slot, in
  // place, with no allocation (a span often sets the same keys in the same order as the last one,
  // and then its key is not even copied). end() drops the unused slots before the span is handed
  // on. Guarded by `mutex`.
  std::size_t attribute_count = 0;
  // The budget the slots had at the last walk (see recycle()).
  std::size_t slot_budget = 0;
  // Likewise for events: events[0, event_count) are the span's events, later elements slots
  // that keep their name's buffer and text. Guarded by `mutex`.
  std::size_t event_count = 0;
  // One bit per class (a hash of length, middle and last bytes) of the keys of the live attributes
  // [0, filtered): a lookup of a key whose bit is clear scans nothing. The filter is brought up to
  // attribute_count before any lookup (writes in sequence, below, leave it behind). Guarded by
  // `mutex`. (Its words come last, with the other per-slot arrays, which a span writing in sequence
  // never touches: SpanData and the fields from `mutex` to `distinct_slots`, which every span reads
  // or writes, take the record's first 448 bytes, seven cache lines' worth. Callgrind's cache model
  // counts 18.7 first-level misses per span of workload (a) with this order, 20.7 with the filter's
  // words and two flags among them.)
  static constexpr std::size_t kKeyFilterWords = 8;  // 512 bits
  std::size_t filtered = 0;
  // The slots [0, distinct_slots) hold keys that are pairwise distinct (the last span's live keys),
  // and no slot key below it has changed during this span. So while attribute_count is below it, a
  // key equal to the next slot's key is not live: the span is writing its keys "in sequence", the
  // same keys in the same order as the last span in this record, and needs no lookup at all. A
  // write that puts a different key into a slot ends the sequence for the rest of the span.
  // Never above kClassedSlots: a record keeps at most kMaxKeptAttributes slots (recycle() and
  // prepare_record_like() set it within them), and a span only lowers it. Guarded by `mutex`.
  std::size_t distinct_slots = 0;
  // key_class() of each of the first kClassedSlots slots' keys, so a span writing the key its next
  // slot holds need not hash it: slot_classes[i] is key_class(attributes[i].key) for every
  // i < min(attributes.size(), kClassedSlots), set wherever a slot's key is written (and by
  // recycle() when it frees a key). Guarded by `mutex`.
  static constexpr std::size_t kClassedSlots = 64;
  std::uint16_t slot_classes[kClassedSlots] = {};
  // How many leading bytes each of the first kClassedSlots slots' keys shares with the key of the
  // slot before it, capped at UINT16_MAX: slot_shared[i] is shared_prefix(attributes[i - 1].key,
  // attributes[i].key) for every 0 < i < min(attributes.size(), kClassedSlots) when a span starts
  // (recycle() sets it again after a slot's key was written or freed: slot_keys_written), and for
  // the slots below distinct_slots while the span writes (their keys do not change, see
  // distinct_slots). A structured value's members go to consecutive slots whose keys share the
  // value's prefix ("honeyhive_inputs."), so a slot after one that holds "<prefix>.<member>" holds
  // "<prefix>.<next member>" when it shares more than the prefix with it and ends in the next
  // member's name: only the name is compared. Guarded by `mutex`.
  std::uint16_t slot_shared[kClassedSlots] = {};
  std::uint64_t key_filter[kKeyFilterWords] = {};  // see `filtered`
  // For the first kStaticKeySlots slots: null, or the address of a string literal (static storage,
  // never written) whose text, of the slot key's length, is the slot's key. Set when a text is
  // written under a literal key into the next slot in sequence (StaticKeyTexts), so the next span
  // writing that literal there compares two pointers rather than the key's bytes. Valid while no
  // slot key is written: a span never writes the keys below distinct_slots, the only slots it reads
  // this for, and recycle() clears them all after a span that wrote or freed any slot key
  // (slot_keys_written). Guarded by `mutex`.
  static constexpr std::size_t kStaticKeySlots = 16;
  const char* slot_static_keys[kStaticKeySlots] = {};
  // During a SpanRef::set_structured call whose leaves wrote over a live attribute: what they wrote
  // over (owned). Null otherwise: the call takes it before it releases `mutex`, so nothing else ever
  // sees it, and the steady state only tests it. Guarded by `mutex`.
  StructuredOverwrites* structured_overwrites = nullptr;

  // Empties the state for the next span while keeping bounded buffers (see the pool's header).
  // Called when the last reference goes, on whichever thread that is.
  void recycle() noexcept;
};

}  // namespace honeyhive::detail
