#pragma once

// Copying and comparing the short texts attribute keys and values are, inline and by whole words
// (internal). A call to memcpy or memcmp costs more than the work itself for a 20-byte key.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/utf8.hpp"

namespace honeyhive::detail {

// Copies n bytes between buffers that do not overlap, and with kCheckAscii returns whether every
// byte is ASCII (one pass where a check and then a copy would be two; without it, true). Never
// reads or writes outside [in, in + n) and [out, out + n): the last word overlaps the one before.
template <bool kCheckAscii>
[[gnu::always_inline]] inline bool copy_words(char* out, const char* in, std::size_t n) noexcept {
  if (n >= 8 && n <= 64) {
    std::uint64_t any = 0;
    std::uint64_t word;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&word, in + i, 8);
#if defined(__GNUC__)
      // Keeps a plain copy a loop of words: GCC otherwise turns it into `rep movsq`, which takes
      // ~5 ns more to start than these few words take to copy (16 bytes on this machine's EPYC:
      // 7.8 ns a call against 2.3 ns). KeyBuffer's prefix was one, three per typed span.
      if constexpr (!kCheckAscii) __asm__("" : "+r"(word));
#endif
      std::memcpy(out + i, &word, 8);
      if constexpr (kCheckAscii) any |= word;
    }
    std::memcpy(&word, in + n - 8, 8);
    std::memcpy(out + n - 8, &word, 8);
    if constexpr (kCheckAscii) any |= word;
    return (any & 0x8080808080808080ULL) == 0;
  }
  if (n >= 4 && n < 8) {
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, in, 4);
    std::memcpy(&tail, in + n - 4, 4);
    std::memcpy(out, &head, 4);
    std::memcpy(out + n - 4, &tail, 4);
    return !kCheckAscii || ((head | tail) & 0x80808080U) == 0;
  }
  if (n < 4) {
    if (n == 0) return true;
    // The first, middle and last bytes: each of 1, 2 and 3 bytes, without a loop.
    const unsigned char first = static_cast<unsigned char>(in[0]);
    const unsigned char middle = static_cast<unsigned char>(in[n >> 1U]);
    const unsigned char last = static_cast<unsigned char>(in[n - 1]);
    out[0] = static_cast<char>(first);
    out[n >> 1U] = static_cast<char>(middle);
    out[n - 1] = static_cast<char>(last);
    return !kCheckAscii || ((first | middle | last) & 0x80U) == 0;
  }
  std::memcpy(out, in, n);
  if constexpr (kCheckAscii) return all_ascii(std::string_view(out, n));
  return true;
}

// Copies n bytes between buffers that do not overlap.
[[gnu::always_inline]] inline void copy_bytes(char* out, const char* in, std::size_t n) noexcept {
  copy_words<false>(out, in, n);
}

// copy_bytes(out, in, n), returning whether every byte is ASCII. (The bytes are copied either way.)
[[gnu::always_inline]] inline bool copied_ascii_bytes(char* out, const char* in, std::size_t n) noexcept {
  return copy_words<true>(out, in, n);
}

// a == b, compared by whole words.
[[gnu::always_inline]] inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    std::uint64_t u;
    std::uint64_t v;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&u, x + i, 8);
      std::memcpy(&v, y + i, 8);
      if (u != v) return false;
    }
    std::memcpy(&u, x + n - 8, 8);
    std::memcpy(&v, y + n - 8, 8);
    return u == v;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

// a == b for texts that are often shorter than a word (a structured value's member names): those
// of 4-7 bytes compared as two overlapping 4-byte halves and those of 1-3 by their first, middle and
// last bytes, not byte by byte. (same_bytes keeps its byte loop for them: its callers' keys are
// longer, and a larger same_bytes inlined into every setter cost more than it saved.)
[[gnu::always_inline]] inline bool same_short_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8) return same_bytes(a, b);
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 4) {
    std::uint32_t x_head;
    std::uint32_t y_head;
    std::uint32_t x_tail;
    std::uint32_t y_tail;
    std::memcpy(&x_head, x, 4);
    std::memcpy(&y_head, y, 4);
    std::memcpy(&x_tail, x + n - 4, 4);
    std::memcpy(&y_tail, y + n - 4, 4);
    return ((x_head ^ y_head) | (x_tail ^ y_tail)) == 0;
  }
  return n == 0 || (x[0] == y[0] && x[n >> 1U] == y[n >> 1U] && x[n - 1] == y[n - 1]);
}

// Puts `text` into `out`, whose capacity holds it (text.size() <= out.capacity()): no allocation,
// so nothing can fail. A text no longer than the one there (a recycled slot or name still holds its
// last span's text) is copied over it inline; only a longer one goes through the string class.
[[gnu::always_inline]] inline void overwrite_text(std::string& out, std::string_view text) noexcept {
  if (text.size() <= out.size()) {
    copy_bytes(out.data(), text.data(), text.size());
    out.erase(text.size());  // shrinking: sets the length, inline (resize() is a library call)
  } else {
    out.clear();
    out.append(text.data(), text.size());
  }
}

// Sets `stored` (a recycled record's name or event name, always valid UTF-8) to `text`, repaired
// to valid UTF-8 before it is stored: if memory runs out midway, `stored` keeps its last valid
// text rather than an unrepaired one a later span would reuse unchecked. When `stored` holds this
// text already, nothing is written; when its capacity holds it, nothing is allocated.
[[gnu::always_inline]] inline void store_repaired_text(std::string& stored, std::string_view text) {
  if (same_bytes(stored, text)) return;
  if (!is_valid_utf8(text)) {
    stored = repair_utf8(text);
  } else if (text.size() <= stored.capacity()) {
    overwrite_text(stored, text);
  } else {
    stored.assign(text.data(), text.size());
  }
}

}  // namespace honeyhive::detail
