#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace honeyhive {

// The explicit "null" for Param fields: `cfg.api_key = honeyhive::null;`.
struct Null {
  friend constexpr bool operator==(Null, Null) noexcept { return true; }
};
inline constexpr Null null{};

// A configuration field with three states: unset (the user said nothing: the environment or the
// default applies), explicitly null (the user turned it off / left it empty on purpose), or set to
// a value. Reads like std::optional: `if (cfg.project) use(*cfg.project);`.
template <class T>
class Param {
 public:
  enum class State : unsigned char { unset, explicit_null, value };

  // What a Param<T> can be given: whatever T can be made from, except that a boolean field takes
  // only a number or a bool: text (`cfg.disabled = "false"` would be true), a pointer, an optional or
  // a smart pointer (true when not empty, whatever it holds) is a compile error.
  template <class U>
  static constexpr bool kAccepts = std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Param> &&
                                   !std::is_same_v<std::decay_t<U>, Null> &&
                                   !(std::is_same_v<T, bool> && !std::is_arithmetic_v<std::remove_reference_t<U>>);

  constexpr Param() noexcept = default;
  constexpr Param(Null) noexcept : state_(State::explicit_null) {}  // NOLINT(google-explicit-constructor)
  // A null C string (`cfg.api_key = std::getenv("KEY")` with KEY not set) leaves the field unset.
  template <class U = T, class = std::enable_if_t<kAccepts<U>>>
  Param(U&& value) {  // NOLINT(google-explicit-constructor)
    if (is_null_text(value)) return;
    value_.emplace(std::forward<U>(value));
    state_ = State::value;
  }

  Param& operator=(Null) noexcept {
    state_ = State::explicit_null;
    value_.reset();
    return *this;
  }
  // A null C string makes the field unset again.
  template <class U = T, class = std::enable_if_t<kAccepts<U>>>
  Param& operator=(U&& value) {
    if (is_null_text(value)) {
      reset();
      return *this;
    }
    value_.emplace(std::forward<U>(value));
    state_ = State::value;
    return *this;
  }

  State state() const noexcept { return state_; }
  bool is_unset() const noexcept { return state_ == State::unset; }
  bool is_null() const noexcept { return state_ == State::explicit_null; }
  bool has_value() const noexcept { return state_ == State::value; }
  explicit operator bool() const noexcept { return has_value(); }

  // Precondition: has_value().
  const T& operator*() const noexcept { return *value_; }
  T& operator*() noexcept { return *value_; }
  const T* operator->() const noexcept { return &*value_; }
  T* operator->() noexcept { return &*value_; }
  template <class U>
  T value_or(U&& fallback) const {
    return has_value() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  // Back to "unset".
  void reset() noexcept {
    state_ = State::unset;
    value_.reset();
  }

  friend bool operator==(const Param& a, const Param& b) { return a.state_ == b.state_ && a.value_ == b.value_; }
  friend bool operator!=(const Param& a, const Param& b) { return !(a == b); }

 private:
  // Whether `value` is a null `char` pointer (what std::getenv gives for a variable not set), or a
  // nullptr given to a text field (a std::string cannot be made from either; a json field keeps
  // nullptr as JSON null).
  template <class U>
  static bool is_null_text(const U& value) noexcept {
    if constexpr (std::is_pointer_v<U> && std::is_same_v<std::remove_cv_t<std::remove_pointer_t<U>>, char>) {
      return value == nullptr;
    } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
      return std::is_same_v<T, std::string>;
    } else {
      return false;
    }
  }

  State state_ = State::unset;
  std::optional<T> value_;
};

}  // namespace honeyhive
