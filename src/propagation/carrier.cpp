#include "honeyhive/propagation/carrier.hpp"

namespace honeyhive {

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string> CallbackCarrier::get(std::string_view key) const {
  if (!getter_) return std::nullopt;
  try {
    return getter_(key);
  } catch (...) {
    return std::nullopt;
  }
}

void CallbackCarrier::set(std::string_view key, std::string_view value) {
  if (!setter_) return;
  try {
    setter_(key, value);
  } catch (...) {
    // The application's header writer failed; the request simply goes out without this header.
  }
}

std::vector<std::string> CallbackCarrier::keys() const {
  if (!lister_) return {};
  try {
    return lister_();
  } catch (...) {
    return {};
  }
}

}  // namespace honeyhive
