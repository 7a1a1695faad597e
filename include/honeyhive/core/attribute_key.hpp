#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace honeyhive {

// An attribute's key: immutable text that reads as a std::string_view and converts to std::string.
// Copies share their text: keys of up to kInlineCapacity bytes are held inline, as std::string holds
// them; a longer key lives in one heap block with an atomic reference count, so copying it (a span's
// attributes, a span record prepared from the span before it) is one increment instead of an
// allocation and a copy. Writing a new text over a key reuses its storage when the key is that
// block's only owner and it is large enough, else takes a new block.
// Thread safety: as std::string's. Distinct keys may be used on distinct threads, copies of one
// another included (the count is atomic); one key is not written while it is read.
// data() is always followed by a NUL (c_str()).
class AttributeKey {
 public:
  static constexpr std::size_t kInlineCapacity = 15;
  static constexpr std::size_t npos = std::string::npos;

  AttributeKey() noexcept : data_(inline_), size_(0) { inline_[0] = '\0'; }
  // The converting constructors throw std::bad_alloc when a long key's block cannot be had.
  AttributeKey(std::string_view text) : AttributeKey() { assign(text.data(), text.size()); }    // NOLINT
  AttributeKey(const std::string& text) : AttributeKey() { assign(text.data(), text.size()); }  // NOLINT
  AttributeKey(const char* text) : AttributeKey() {                                             // NOLINT
    if (text != nullptr) assign(text, std::strlen(text));
  }
  AttributeKey(const AttributeKey& other) noexcept : size_(other.size_) {
    share_from(other);
    if (!other.is_inline() && block_ != nullptr) block_->references.fetch_add(1, std::memory_order_relaxed);
  }
  AttributeKey(AttributeKey&& other) noexcept : size_(other.size_) {
    share_from(other);
    other.make_empty();
  }
  AttributeKey& operator=(const AttributeKey& other) noexcept {
    if (this == &other) return *this;
    if (!other.is_inline() && other.block_ != nullptr) {
      if (!is_inline() && block_ == other.block_) {
        size_ = other.size_;  // (the same block: the same text)
        return *this;
      }
      other.block_->references.fetch_add(1, std::memory_order_relaxed);
    }
    release();
    size_ = other.size_;
    share_from(other);
    return *this;
  }
  AttributeKey& operator=(AttributeKey&& other) noexcept {
    if (this == &other) return *this;
    release();
    size_ = other.size_;
    share_from(other);
    other.make_empty();
    return *this;
  }
  AttributeKey& operator=(std::string_view text) {
    assign(text.data(), text.size());
    return *this;
  }
  AttributeKey& operator=(const std::string& text) {
    assign(text.data(), text.size());
    return *this;
  }
  AttributeKey& operator=(const char* text) {
    if (text == nullptr) return *this = std::string_view();
    assign(text, std::strlen(text));
    return *this;
  }
  ~AttributeKey() { release(); }

  // A key over `text`, which the caller guarantees lives as long as the program and never changes,
  // followed by a NUL (a string literal): no block, no count; copies share the pointer.
  static AttributeKey from_static(std::string_view text) noexcept {
    AttributeKey key;
    if (text.empty()) return key;  // (a default view's data() is null: the inline empty text instead)
    assert(text.data()[text.size()] == '\0');
    key.data_ = text.data();
    key.size_ = text.size();
    key.block_ = nullptr;
    return key;
  }

  // Sets the key to `size` bytes at `text` (which may be this key's own). On an exception (no block
  // could be had) the key is unchanged.
  void assign(const char* text, std::size_t size) {
    if (size <= kInlineCapacity) {
      if (!is_inline()) {
        // Copied out before the block may go: `text` may be in it.
        // (A null `text` comes with size 0, from a default std::string_view: nothing is copied.)
        char copy[kInlineCapacity + 1];
        if (size != 0) std::memcpy(copy, text, size);
        release();
        if (size != 0) std::memcpy(inline_, copy, size);
        data_ = inline_;
      } else if (size != 0) {
        std::memmove(inline_, text, size);
      }
      inline_[size] = '\0';
      size_ = size;
      return;
    }
    if (!is_inline() && block_ != nullptr && block_->capacity >= size &&
        block_->references.load(std::memory_order_acquire) == 1) {
      char* own = block_->text();
      std::memmove(own, text, size);
      own[size] = '\0';
      size_ = size;
      return;
    }
    Block* fresh = make_block(text, size);
    release();
    block_ = fresh;
    data_ = fresh->text();
    size_ = size;
  }

  const char* data() const noexcept { return data_; }
  const char* c_str() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t length() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // The longest text this key's storage holds: its inline room, its block's room, or its static
  // text's length. (A block shared with other keys is still replaced when the key is written.)
  std::size_t capacity() const noexcept {
    if (is_inline()) return kInlineCapacity;
    return block_ != nullptr ? block_->capacity : size_;
  }
  const char* begin() const noexcept { return data_; }
  const char* end() const noexcept { return data_ + size_; }
  char operator[](std::size_t i) const noexcept { return data_[i]; }
  char front() const noexcept { return data_[0]; }
  char back() const noexcept { return data_[size_ - 1]; }
  std::string_view view() const noexcept { return {data_, size_}; }
  operator std::string_view() const noexcept { return {data_, size_}; }  // NOLINT(google-explicit-constructor)
  operator std::string() const { return std::string(data_, size_); }     // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(data_, size_); }

  // As std::string's (through std::string_view; substr returns a std::string).
  int compare(std::string_view other) const noexcept { return view().compare(other); }
  int compare(std::size_t position, std::size_t count, std::string_view other) const {
    return view().compare(position, count, other);
  }
  int compare(std::size_t position, std::size_t count, std::string_view other, std::size_t other_position,
              std::size_t other_count) const {
    return view().compare(position, count, other, other_position, other_count);
  }
  std::size_t find(std::string_view text, std::size_t position = 0) const noexcept {
    return view().find(text, position);
  }
  std::size_t find(char c, std::size_t position = 0) const noexcept { return view().find(c, position); }
  std::size_t rfind(std::string_view text, std::size_t position = npos) const noexcept {
    return view().rfind(text, position);
  }
  std::size_t rfind(char c, std::size_t position = npos) const noexcept { return view().rfind(c, position); }
  std::string substr(std::size_t position = 0, std::size_t count = npos) const {
    return std::string(view().substr(position, count));
  }

  void swap(AttributeKey& other) noexcept {
    AttributeKey moved(std::move(other));
    other = std::move(*this);
    *this = std::move(moved);
  }

  friend bool operator==(const AttributeKey& a, const AttributeKey& b) noexcept {
    return a.size_ == b.size_ && (a.data_ == b.data_ || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }
  friend bool operator==(const AttributeKey& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(std::string_view a, const AttributeKey& b) noexcept { return a == b.view(); }
  friend bool operator==(const AttributeKey& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const std::string& a, const AttributeKey& b) noexcept { return a == b.view(); }
  friend bool operator==(const AttributeKey& a, const char* b) noexcept { return a.view() == b; }
  friend bool operator==(const char* a, const AttributeKey& b) noexcept { return a == b.view(); }
  friend bool operator!=(const AttributeKey& a, const AttributeKey& b) noexcept { return !(a == b); }
  friend bool operator!=(const AttributeKey& a, std::string_view b) noexcept { return !(a == b); }
  friend bool operator!=(std::string_view a, const AttributeKey& b) noexcept { return !(a == b); }
  friend bool operator!=(const AttributeKey& a, const std::string& b) noexcept { return !(a == b); }
  friend bool operator!=(const std::string& a, const AttributeKey& b) noexcept { return !(a == b); }
  friend bool operator!=(const AttributeKey& a, const char* b) noexcept { return !(a == b); }
  friend bool operator!=(const char* a, const AttributeKey& b) noexcept { return !(a == b); }
  // Ordered as their texts (std::map keys, sorting), against every string spelling without a conversion.
  friend bool operator<(const AttributeKey& a, const AttributeKey& b) noexcept { return a.view() < b.view(); }
  friend bool operator<(const AttributeKey& a, std::string_view b) noexcept { return a.view() < b; }
  friend bool operator<(std::string_view a, const AttributeKey& b) noexcept { return a < b.view(); }
  friend bool operator<(const AttributeKey& a, const std::string& b) noexcept { return a.view() < b; }
  friend bool operator<(const std::string& a, const AttributeKey& b) noexcept { return a < b.view(); }
  friend bool operator<(const AttributeKey& a, const char* b) noexcept { return a.view() < b; }
  friend bool operator<(const char* a, const AttributeKey& b) noexcept { return a < b.view(); }
  // The other orderings, against every string spelling without a conversion (as operator<).
  friend bool operator>(const AttributeKey& a, const AttributeKey& b) noexcept { return b < a; }
  friend bool operator<=(const AttributeKey& a, const AttributeKey& b) noexcept { return !(b < a); }
  friend bool operator>=(const AttributeKey& a, const AttributeKey& b) noexcept { return !(a < b); }
  friend bool operator>(const AttributeKey& a, std::string_view b) noexcept { return a.view() > b; }
  friend bool operator>(std::string_view a, const AttributeKey& b) noexcept { return a > b.view(); }
  friend bool operator>(const AttributeKey& a, const std::string& b) noexcept { return a.view() > b; }
  friend bool operator>(const std::string& a, const AttributeKey& b) noexcept { return a > b.view(); }
  friend bool operator>(const AttributeKey& a, const char* b) noexcept { return a.view() > b; }
  friend bool operator>(const char* a, const AttributeKey& b) noexcept { return a > b.view(); }
  friend bool operator<=(const AttributeKey& a, std::string_view b) noexcept { return a.view() <= b; }
  friend bool operator<=(std::string_view a, const AttributeKey& b) noexcept { return a <= b.view(); }
  friend bool operator<=(const AttributeKey& a, const std::string& b) noexcept { return a.view() <= b; }
  friend bool operator<=(const std::string& a, const AttributeKey& b) noexcept { return a <= b.view(); }
  friend bool operator<=(const AttributeKey& a, const char* b) noexcept { return a.view() <= b; }
  friend bool operator<=(const char* a, const AttributeKey& b) noexcept { return a <= b.view(); }
  friend bool operator>=(const AttributeKey& a, std::string_view b) noexcept { return a.view() >= b; }
  friend bool operator>=(std::string_view a, const AttributeKey& b) noexcept { return a >= b.view(); }
  friend bool operator>=(const AttributeKey& a, const std::string& b) noexcept { return a.view() >= b; }
  friend bool operator>=(const std::string& a, const AttributeKey& b) noexcept { return a >= b.view(); }
  friend bool operator>=(const AttributeKey& a, const char* b) noexcept { return a.view() >= b; }
  friend bool operator>=(const char* a, const AttributeKey& b) noexcept { return a >= b.view(); }

  friend std::string operator+(const AttributeKey& a, std::string_view b) {
    std::string out;
    out.reserve(a.size() + b.size());
    return out.append(a.data(), a.size()).append(b.data(), b.size());
  }
  friend std::string operator+(std::string_view a, const AttributeKey& b) {
    std::string out;
    out.reserve(a.size() + b.size());
    return out.append(a.data(), a.size()).append(b.data(), b.size());
  }
  friend std::string operator+(std::string&& a, const AttributeKey& b) {
    return std::move(a.append(b.data(), b.size()));
  }
  friend std::string operator+(const AttributeKey& a, const char* b) { return a + std::string_view(b); }
  friend std::string operator+(const char* a, const AttributeKey& b) { return std::string_view(a) + b; }
  friend std::string operator+(const AttributeKey& a, const std::string& b) { return a + std::string_view(b); }
  friend std::string operator+(const std::string& a, const AttributeKey& b) { return std::string_view(a) + b; }
  friend std::string operator+(const AttributeKey& a, const AttributeKey& b) { return a + b.view(); }

  template <class Traits>
  friend std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& out, const AttributeKey& key) {
    return out << key.view();
  }

 private:
  // A long key's text: the count, the room, then capacity + 1 bytes (text and NUL).
  struct Block {
    std::atomic<std::size_t> references;
    std::size_t capacity;
    char* text() noexcept { return reinterpret_cast<char*>(this + 1); }
  };

  // A block holding a copy of `text` (size > kInlineCapacity), counted once. Throws std::bad_alloc.
  static Block* make_block(const char* text, std::size_t size);
  static void free_block(Block* block) noexcept;

  bool is_inline() const noexcept { return data_ == inline_; }
  // Points this key at `other`'s text (its size set by the caller), counting nothing.
  void share_from(const AttributeKey& other) noexcept {
    if (other.is_inline()) {
      std::memcpy(inline_, other.inline_, sizeof(inline_));
      data_ = inline_;
    } else {
      data_ = other.data_;
      block_ = other.block_;
    }
  }
  void make_empty() noexcept {
    data_ = inline_;
    size_ = 0;
    inline_[0] = '\0';
  }
  // Gives up this key's block, if any (the key's fields are then to be set again).
  void release() noexcept {
    if (is_inline() || block_ == nullptr) return;
    // The last owner frees it; one that finds itself the only owner needs no read-modify-write.
    if (block_->references.load(std::memory_order_acquire) == 1 ||
        block_->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      free_block(block_);
    }
  }

  const char* data_;  // inline_, a block's text, or static text
  std::size_t size_;
  union {
    char inline_[kInlineCapacity + 1];
    Block* block_;  // when data_ is not inline_: the block, or null for static text
  };
};

inline void swap(AttributeKey& a, AttributeKey& b) noexcept { a.swap(b); }

}  // namespace honeyhive

template <>
struct std::hash<honeyhive::AttributeKey> {
  std::size_t operator()(const honeyhive::AttributeKey& key) const noexcept {
    return std::hash<std::string_view>()(key.view());
  }
};
