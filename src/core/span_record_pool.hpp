#pragma once

// Span records recycled between threads (internal). A span record is a span's state together with
// room for its shared_ptr control block: one allocation per span. The thread that releases a span
// is usually not the one that made it (the batch processor's export thread releases every span),
// which is the pattern malloc handles worst: every allocation misses the producer's per-thread
// cache, and the two threads contend for the producer's malloc arena, once per attribute string.
//
// So a released record is not destroyed but recycled: SpanState::recycle() empties it and keeps
// its buffers (the attribute vector, whose elements become slots that keep their key and string
// value buffers, and the name), and the record goes back to this pool. The next span started from
// it writes its attributes into those slots: in the steady state a span with a handful of
// attributes makes no malloc call at all, and no memory crosses threads through malloc.
//  - a released record goes to one shared array of up to kSharedRecords records;
//  - a thread starting spans takes records from its own list of up to kLocalRecords, without any
//    lock, and refills the list from the shared array when it is empty.
// The shared array's lock is only ever try-locked (core/try_lock.hpp): when it is still busy after a
// few pauses, that one record is made with new or destroyed with delete, so no thread ever waits
// for another.
// While a thread finds no records at all (all of them held by spans not yet exported: a burst, the
// first batch), each span with attributes ending on it prepares the thread's next record with a
// copy of its slots (prepare_record_like): a typed span costs about 14,100 instructions on such a
// record, the copy included, against 37,600 on a record made empty (bench/instructions.sh,
// typed_json10_new). The copied keys share the ended span's text (AttributeKey): a long key costs an
// atomic increment, not an allocation.
// What the pool holds is bounded. A record keeps at most 64 attribute slots, 4 events and links,
// and 2 KiB of string buffers (recycle() frees the rest, so one huge span pins nothing): about
// 0.7 KiB empty, 1-2 KiB after spans of a handful of attributes, 8 KiB at worst. The pool holds at
// most kSharedRecords records plus kLocalRecords per thread that started spans (until it exits):
// a few MiB for typical spans, 8 MiB + 64 KiB per thread at worst.
// Safe at thread exit and in static destruction (a thread's list is handed to the shared array
// when the thread ends; afterwards that thread uses new/delete) and across fork (a child loses at
// most the lists of threads it did not inherit; a lock held at the fork only turns the shared
// array off in the child). Under AddressSanitizer the pool is off, so use-after-free on span
// records stays detectable.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "core/sanitizers.hpp"
#include "core/span_state.hpp"
#include "core/try_lock.hpp"

namespace honeyhive::detail {

// False under AddressSanitizer: every record is then new and deleted.
inline constexpr bool kSpanRecordsRecycled = !kAddressSanitizer;

// What a recycled record may keep: string buffers of at most kMaxKeptBytes of capacity in all (the
// name, the status description, the names of its spare event slots, and the keys and string values
// of its spare attribute slots, lists of up to kMaxKeptListItems strings included), and vectors of
// at most kMaxKeptAttributes attributes and kMaxKeptEntries events and links. Larger buffers are
// freed, so one huge span never pins its memory in the pool.
inline constexpr std::size_t kMaxKeptBytes = 2048;
inline constexpr std::size_t kMaxKeptAttributes = 64;
inline constexpr std::size_t kMaxKeptEntries = 4;
inline constexpr std::size_t kMaxKeptListItems = 8;

static_assert(SpanState::kClassedSlots >= kMaxKeptAttributes, "every kept slot's key class is kept with it");

inline constexpr std::size_t kSharedRecords = 1024;
inline constexpr std::size_t kLocalRecords = 8;

// Not cache-line aligned: with alignas(64), records made new come from the aligned allocator, and
// (a)'s 20,000-span mean rose from 869 to 894 instructions (bench/instructions.sh) for about two
// fewer first-level misses per span in callgrind's cache model. (The state's fields that every span
// touches come first, see SpanState::filtered.)
struct SpanRecord {
  SpanState state;
  // The span's shared_ptr control block lives here (see make_span_state).
  alignas(std::max_align_t) unsigned char control[64];
};

// How many attributes the span ended last had (at most kMaxKeptAttributes). A record made new
// reserves that many slots: while the pool fills up (a burst, a batch not yet exported), a typed
// span does not regrow its attribute vector three times, moving every attribute each time.
inline std::atomic<std::uint32_t> g_attribute_count_hint{0};

inline void note_attribute_count(std::size_t count) noexcept {
  const auto hint = static_cast<std::uint32_t>(count < kMaxKeptAttributes ? count : kMaxKeptAttributes);
  if (g_attribute_count_hint.load(std::memory_order_relaxed) != hint) {
    g_attribute_count_hint.store(hint, std::memory_order_relaxed);
  }
}

// A record whose state is empty (fresh or recycled). Throws std::bad_alloc like operator new.
SpanRecord* take_span_record();
// Whether this thread's last look for records found none (its list was empty and so was the shared
// array, or its lock was busy): until records come back, spans ending on this thread each prepare
// the record the thread's next span takes (prepare_record_like). Only a thread that starts spans
// runs dry, and it prepares only from the spans that end on it (a prepared record goes to the list
// of the thread that ends the span).
inline thread_local bool t_span_records_dry = false;

// Called while t_span_records_dry, with a span's state as it ends (immutable from then on, and
// still referenced by the caller): prepares the record this thread's next span takes, its slots a
// copy of this span's leading slots that fit in the budget a recycled record keeps (keys, and values
// as recycle() keeps them: scalars, strings, short lists of strings; other arrays as false), so
// that a span of the same shape writes there in place and in sequence, as on a recycled record,
// instead of building every attribute anew. When records have come back meanwhile, the thread takes
// those instead and copies nothing; a span without attributes copies nothing either.
void prepare_record_like(const SpanState& ended) noexcept;
// How many records prepare_record_like() has made in this process (for tests).
std::uint64_t prepared_span_records() noexcept;
// How many records were made new (by take_span_record or prepare_record_like) and deleted (given
// back while the shared array was full, or its lock could not be had), in this process: the pool's
// misses, for the benchmarks and tests.
std::uint64_t made_span_records() noexcept;
std::uint64_t deleted_span_records() noexcept;
// The shared array's lock (for tests: a fork while it is held).
TryLock& shared_span_records_lock() noexcept;
// Returns a record (its state already recycled) to the pool, or deletes it.
void give_span_record(SpanRecord* record) noexcept;

// Places a shared_ptr's control block in its record: `allocate` hands out the record's `control`
// bytes, and `deallocate` (the last thing a shared_ptr does, after its deleter and the control
// block's destructor ran) gives the whole record back to the pool.
template <class T>
struct SpanRecordAllocator {
  using value_type = T;

  explicit SpanRecordAllocator(SpanRecord* owner) noexcept : record(owner) {}
  template <class U>
  SpanRecordAllocator(const SpanRecordAllocator<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : record(other.record) {}

  T* allocate(std::size_t n) {
    static_assert(sizeof(T) <= sizeof(SpanRecord::control) && alignof(T) <= alignof(std::max_align_t),
                  "the shared_ptr control block outgrew SpanRecord::control");
    if (n != 1) throw std::bad_alloc();
    return reinterpret_cast<T*>(record->control);
  }
  void deallocate(T*, std::size_t) noexcept { give_span_record(record); }

  template <class U>
  friend bool operator==(const SpanRecordAllocator& a, const SpanRecordAllocator<U>& b) noexcept {
    return a.record == b.record;
  }
  template <class U>
  friend bool operator!=(const SpanRecordAllocator& a, const SpanRecordAllocator<U>& b) noexcept {
    return a.record != b.record;
  }

  SpanRecord* record;
};

// Empties a span's state when its last reference goes (the record itself is returned to the pool
// right after, by SpanRecordAllocator::deallocate).
struct SpanRecordRecycler {
  void operator()(SpanState* state) const noexcept { state->recycle(); }
};

// A new span's state, from a recycled record when there is one.
inline std::shared_ptr<SpanState> make_span_state() {
  SpanRecord* record = take_span_record();
  // Cannot throw: the control block's storage is the record's own, so nothing is allocated here.
  return std::shared_ptr<SpanState>(&record->state, SpanRecordRecycler{}, SpanRecordAllocator<SpanState>(record));
}

}  // namespace honeyhive::detail
