#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace honeyhive {

// Where propagators read and write headers (OTel "TextMapCarrier"). Header names are matched
// case-insensitively on read, as HTTP requires; writes use the lowercase names the specs give.
class TextMapCarrier {
 public:
  virtual ~TextMapCarrier() = default;
  // The value of the header named `key` (any case), or nullopt.
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  virtual void set(std::string_view key, std::string_view value) = 0;
  virtual std::vector<std::string> keys() const = 0;
};

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept;

// Adapts a std::map / std::unordered_map of strings (or any map with the same interface).
// Reads try the exact key first, then a case-insensitive scan. Holds a reference: the map must
// outlive the carrier.
template <class Map>
class MapCarrier final : public TextMapCarrier {
 public:
  explicit MapCarrier(Map& map) : map_(map) {}

  std::optional<std::string> get(std::string_view key) const override {
    auto exact = map_.find(typename Map::key_type(key));
    if (exact != map_.end()) return std::string(exact->second);
    for (const auto& entry : map_) {
      if (equals_ignore_case(entry.first, key)) return std::string(entry.second);
    }
    return std::nullopt;
  }
  void set(std::string_view key, std::string_view value) override {
    map_[typename Map::key_type(key)] = typename Map::mapped_type(value);
  }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    out.reserve(map_.size());
    for (const auto& entry : map_) out.emplace_back(entry.first);
    return out;
  }

 private:
  Map& map_;
};

template <class Map>
MapCarrier<Map> make_map_carrier(Map& map) {
  return MapCarrier<Map>(map);
}

// Adapts any HTTP library through callbacks. A missing getter reads nothing; a missing setter
// ignores writes; a missing lister lists no keys. Callbacks that throw are treated as "absent".
class CallbackCarrier final : public TextMapCarrier {
 public:
  using Getter = std::function<std::optional<std::string>(std::string_view key)>;
  using Setter = std::function<void(std::string_view key, std::string_view value)>;
  using Lister = std::function<std::vector<std::string>()>;

  CallbackCarrier(Getter getter, Setter setter, Lister lister = nullptr)
      : getter_(std::move(getter)), setter_(std::move(setter)), lister_(std::move(lister)) {}

  std::optional<std::string> get(std::string_view key) const override;
  void set(std::string_view key, std::string_view value) override;
  std::vector<std::string> keys() const override;

 private:
  Getter getter_;
  Setter setter_;
  Lister lister_;
};

}  // namespace honeyhive
