#pragma once

#include <optional>
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

  constexpr Param() noexcept = default;
  constexpr Param(Null) noexcept : state_(State::explicit_null) {}  // NOLINT(google-explicit-constructor)
  template <class U = T,
            class = std::enable_if_t<std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Param> &&
                                     !std::is_same_v<std::decay_t<U>, Null>>>
  Param(U&& value) : state_(State::value), value_(std::forward<U>(value)) {}  // NOLINT(google-explicit-constructor)

  Param& operator=(Null) noexcept {
    state_ = State::explicit_null;
    value_.reset();
    return *this;
  }
  template <class U = T,
            class = std::enable_if_t<std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Param> &&
                                     !std::is_same_v<std::decay_t<U>, Null>>>
  Param& operator=(U&& value) {
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
  State state_ = State::unset;
  std::optional<T> value_;
};

}  // namespace honeyhive
