#pragma once

// Flattening a structured value straight into its destination (the span's attributes), without a
// temporary list of attributes and a second copy of every key (internal).
//
// The walk is a template over its sink, so the span's sink is called directly, not through a
// virtual function, and each leaf is passed as what it is (text, bool, integer, double) rather than
// built into an AttributeValue first. Only the rare leaves (arrays, binary, numbers that do not fit
// an attribute, depth markers) go through the out-of-line helpers in structured.cpp.
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/json_text.hpp"
#include "honeyhive/core/attribute_value.hpp"
#include "honeyhive/core/structured.hpp"

namespace honeyhive::detail {

// The dotted key being built: extended and cut back in place as the walk goes down and up. Keys up
// to kInline bytes (nearly all) stay in the object itself; longer ones move to the heap.
class KeyBuffer {
 public:
  // (Inline, as append: an out-of-line call at each set_structured costs a typed span 100
  // instructions, and GCC stops inlining it once set_structured's body grows.)
  [[gnu::always_inline]] explicit KeyBuffer(std::string_view prefix) { append(prefix.data(), prefix.size()); }
  KeyBuffer(const KeyBuffer&) = delete;
  KeyBuffer& operator=(const KeyBuffer&) = delete;

  std::string_view view() const noexcept { return {data_, size_}; }
  std::size_t size() const noexcept { return size_; }
  // Cuts the key back to `size` bytes (never longer than it is).
  void truncate(std::size_t size) noexcept { size_ = size; }

  void append(char c) {
    if (size_ == capacity_) grow(1);
    data_[size_++] = c;
  }
  [[gnu::always_inline]] void append(const char* text, std::size_t n) {
    if (n > capacity_ - size_) grow(n);
    copy_bytes(data_ + size_, text, n);
    size_ += n;
  }
  // append('.') then append(text, n), with one check for room.
  [[gnu::always_inline]] void append_dotted(const char* text, std::size_t n) {
    if (n >= capacity_ - size_) grow(n + 1);
    // Through locals: the bytes written could alias the members, which would be read again.
    char* const end = data_ + size_;
    const std::size_t size = size_ + n + 1;
    end[0] = '.';
    copy_bytes(end + 1, text, n);
    size_ = size;
  }

 private:
  static constexpr std::size_t kInline = 192;

  // Room for `more` bytes beyond size_; may throw std::bad_alloc (the caller's try takes it).
  void grow(std::size_t more) {
    std::size_t wanted = 2 * capacity_;
    if (wanted < size_ + more) wanted = size_ + more;
    std::string bigger(wanted, '\0');
    std::memcpy(&bigger[0], data_, size_);
    heap_.swap(bigger);
    data_ = &heap_[0];
    capacity_ = heap_.size();
  }

  char inline_[kInline];
  char* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = kInline;
  std::string heap_;
};

// The out-of-line leaves (structured.cpp): each returns what flatten_structured records for it.
AttributeValue array_leaf_value(const nlohmann::json& array, std::size_t depth_left);
std::string unsigned_text(std::uint64_t value);
std::string non_finite_text(double value);

// Hands `value` to the sink under `key` when it is a leaf: anything but a non-empty object within
// the depth left. Returns false for an object whose members are to be walked.
template <class Sink>
[[gnu::always_inline]] inline bool put_leaf(std::string_view key, const nlohmann::json& value, std::size_t depth_left,
                                            Sink& sink) {
  using json = nlohmann::json;
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded: return true;
    case json::value_t::string: sink.text_leaf(key, *value.get_ptr<const json::string_t*>()); return true;
    case json::value_t::boolean: sink.bool_leaf(key, *value.get_ptr<const json::boolean_t*>()); return true;
    case json::value_t::number_integer:
      sink.int_leaf(key, *value.get_ptr<const json::number_integer_t*>());
      return true;
    case json::value_t::number_unsigned: {
      const std::uint64_t u = *value.get_ptr<const json::number_unsigned_t*>();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) {
        sink.int_leaf(key, static_cast<std::int64_t>(u));
      } else {
        sink.text_leaf(key, unsigned_text(u));  // no int64 holds it: its decimal text
      }
      return true;
    }
    case json::value_t::number_float: {
      const double d = *value.get_ptr<const json::number_float_t*>();
      if (std::isfinite(d)) {
        sink.double_leaf(key, d);
      } else {
        sink.text_leaf(key, non_finite_text(d));  // NaN / Infinity / -Infinity, not null
      }
      return true;
    }
    case json::value_t::binary: sink.text_leaf(key, json_text(value)); return true;
    case json::value_t::array:
      if (depth_left == 0) {
        sink.text_leaf(key, kMaxDepthMarker);
      } else {
        sink.array_leaf(key, value, depth_left);
      }
      return true;
    case json::value_t::object: break;
  }
  if (depth_left == 0) {
    sink.text_leaf(key, kMaxDepthMarker);
    return true;
  }
  if (value.get_ptr<const json::object_t*>()->empty()) {
    sink.text_leaf(key, "{}");
    return true;
  }
  return false;
}

// A sink that writes leaves in place (the span's) may also have
//   Cursor in_place_cursor(), whose bool put(std::size_t base, std::string_view name, const json& value,
//     std::size_t depth_left, bool prefix_known) writes the member `name` = `value` of the object at
//     key.view() (base bytes), the last live attribute's key being under that key + "." (or, with
//     prefix_known, the next place's), into the place the sink has for it, without its key (false
//     when it did not), and void commit(const Cursor&), after which the members the cursor put are
//     the sink's; the cursor is a local, kept in registers;
//   bool next_is_under(std::string_view prefix): whether the sink's next place is for a key under
//     prefix + "." (false is always safe);
//   void begin_member() before a member put under its whole key, and
//   bool last_is_under(std::string_view prefix) after it: whether the last live attribute's key is
//     under prefix + "." (false is always safe: the next member then takes the general path).
// Its members' keys are then built only for the leaves that do not go into their place.
template <class Sink, class = void>
struct writes_in_place : std::false_type {};
template <class Sink>
struct writes_in_place<Sink, std::void_t<decltype(&Sink::in_place_cursor)>> : std::true_type {};

// Whether the member walk below may step through libstdc++'s tree nodes: not with its debug-mode
// containers, whose iterators are checked wrappers.
#if defined(__GLIBCXX__) && !defined(_GLIBCXX_DEBUG)
#define HONEYHIVE_WALK_TREE_NODES 1
static_assert(std::is_same_v<nlohmann::json::object_t::const_iterator,
                             std::_Rb_tree_const_iterator<nlohmann::json::object_t::value_type>>,
              "an object's members are a libstdc++ red-black tree");
#else
#define HONEYHIVE_WALK_TREE_NODES 0
#endif

// The member after `it`, which is not an object's last. With libstdc++, the tree's in-order successor
// inline rather than a call of std::_Rb_tree_increment (out of line, in the shared library), so that
// the walk over a typed span's members keeps its registers; as `it` is not the last member, the
// step needs no case for the end.
[[gnu::always_inline]] inline nlohmann::json::object_t::const_iterator next_member(
    nlohmann::json::object_t::const_iterator it) noexcept {
#if HONEYHIVE_WALK_TREE_NODES
  const std::_Rb_tree_node_base* node = it._M_node;
  if (node->_M_right != nullptr) {
    node = node->_M_right;
    while (node->_M_left != nullptr) node = node->_M_left;
  } else {
    const std::_Rb_tree_node_base* parent = node->_M_parent;
    while (node == parent->_M_right) {
      node = parent;
      parent = parent->_M_parent;
    }
    node = parent;
  }
  return nlohmann::json::object_t::const_iterator(node);
#else
  return ++it;
#endif
}

// The last member of a non-empty object: with libstdc++, the node its tree's header points to as
// its rightmost, rather than a call of std::_Rb_tree_decrement.
[[gnu::always_inline]] inline nlohmann::json::object_t::const_iterator last_member(
    const nlohmann::json::object_t& members) noexcept {
#if HONEYHIVE_WALK_TREE_NODES
  return nlohmann::json::object_t::const_iterator(members.end()._M_node->_M_right);
#else
  return std::prev(members.end());
#endif
}

// The members of a non-empty object, each under key + "." + its name (no dot after an empty key).
template <class Sink>
void flatten_members(KeyBuffer& key, const nlohmann::json::object_t& members, std::size_t depth_left, Sink& sink) {
  const std::size_t base = key.size();
  // (writes_in_place) The last live attribute's key is under key + ".": the next members may go to
  // their places by their names alone.
  bool under_key = false;
  // (writes_in_place) The next slot's key is under key + ".": the first member may go to its place
  // by its name too.
  bool next_under_key = false;
  if constexpr (writes_in_place<Sink>::value) next_under_key = base > 0 && sink.next_is_under(key.view());
  // The walk ends at the last member instead of stepping on to end() (see next_member).
  assert(!members.empty());
  const auto last = last_member(members);
  for (auto it = members.begin();; it = next_member(it)) {
    if constexpr (writes_in_place<Sink>::value) {
      if (under_key || next_under_key) {
        auto cursor = sink.in_place_cursor();
        bool prefix_known = next_under_key;
        next_under_key = false;
        while (cursor.put(base, it->first, it->second, depth_left - 1, prefix_known)) {
          prefix_known = false;
          if (it == last) {
            sink.commit(cursor);
            return;
          }
          it = next_member(it);
        }
        sink.commit(cursor);
      }
      sink.begin_member();
    }
    const auto& member = *it;
    if (base > 0) {
      key.append_dotted(member.first.data(), member.first.size());
    } else {
      key.append(member.first.data(), member.first.size());
    }
    if (!put_leaf(key.view(), member.second, depth_left - 1, sink)) {
      flatten_members(key, *member.second.get_ptr<const nlohmann::json::object_t*>(), depth_left - 1, sink);
    }
    key.truncate(base);
    if constexpr (writes_in_place<Sink>::value) under_key = base > 0 && sink.last_is_under(key.view());
    if (it == last) return;
  }
}

// flatten_structured (honeyhive/core/structured.hpp): every leaf under key.view() goes to `sink`,
// which has text_leaf(key, std::string_view), bool_leaf(key, bool), int_leaf(key, std::int64_t),
// double_leaf(key, double) and array_leaf(key, const json& array, depth_left) (array_leaf_value
// says what it records). `key` is only valid during each call.
template <class Sink>
void flatten_into(KeyBuffer& key, const nlohmann::json& value, std::size_t depth_left, Sink& sink) {
  if (put_leaf(key.view(), value, depth_left, sink)) return;
  flatten_members(key, *value.get_ptr<const nlohmann::json::object_t*>(), depth_left, sink);
}

}  // namespace honeyhive::detail
