#pragma once

// Test support: environment variables changed for one test and put back afterwards.
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace honeyhive::test {

// Sets or unsets environment variables; at destruction each one it touched gets its earlier value back.
class ScopedEnv {
 public:
  ScopedEnv() = default;
  // Applies each {name, value} pair in order, as set() does.
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> values) {
    for (const auto& [name, value] : values) set(name, value);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  // Sets `name` to `value`, or unsets it when `value` is null.
  void set(const char* name, const char* value) {
    remember(name);
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  void unset(const char* name) { set(name, nullptr); }

 private:
  // Keeps the value from before the first change only: that is the one to restore.
  void remember(const char* name) {
    for (const auto& saved : saved_) {
      if (saved.first == name) return;
    }
    const char* value = std::getenv(name);
    saved_.emplace_back(name, value == nullptr ? std::nullopt : std::optional<std::string>(value));
  }

  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace honeyhive::test
