#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
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

  // get() without a copy where the carrier can avoid one (the propagators read through this).
  // The view stays valid until the carrier, what it adapts, or `storage` next changes. The
  // default calls get() and keeps the value in `storage`; MapCarrier returns a view of its map.
  virtual std::optional<std::string_view> get_view(std::string_view key, std::string& storage) const {
    auto value = get(key);
    if (!value) return std::nullopt;
    storage = std::move(*value);
    return std::string_view(storage);
  }
};

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept;

// Adapts a std::map / std::unordered_map of strings (or any map with the same interface).
// Reads try the exact key first, then a case-insensitive scan. Holds a reference: the map must
// outlive the carrier. A const map (a request's headers, to extract from) gives a read-only
// carrier: set() changes nothing.
template <class Map>
class MapCarrier final : public TextMapCarrier {
 public:
  explicit MapCarrier(Map& map) : map_(map) {}

  std::optional<std::string> get(std::string_view key) const override {
    const auto found = find(key);
    if (found == map_.end()) return std::nullopt;
    return std::string(found->second);
  }
  std::optional<std::string_view> get_view(std::string_view key, std::string& storage) const override {
    const auto found = find(key);
    if (found == map_.end()) return std::nullopt;
    if constexpr (std::is_convertible_v<const typename Map::mapped_type&, std::string_view>) {
      return std::string_view(found->second);
    } else {
      storage = std::string(found->second);
      return std::string_view(storage);
    }
  }
  void set(std::string_view key, std::string_view value) override {
    if constexpr (!std::is_const_v<Map>) {
      // Key and value are built in the new node; a header already present is overwritten.
      auto [entry, inserted] =
          map_.emplace(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple(value));
      if (!inserted) entry->second = typename Map::mapped_type(value);
    } else {
      (void)key;
      (void)value;
    }
  }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    out.reserve(map_.size());
    for (const auto& entry : map_) out.emplace_back(entry.first);
    return out;
  }

 private:
  // The entry whose key is `key`, else the first whose key matches it ignoring case. Inline in
  // get_view: a call of its own cost a third of a header read. Names of another length are passed
  // over unread; the case-insensitive comparison, rarely needed, is out of this loop.
  [[gnu::always_inline]] typename Map::const_iterator find(std::string_view key) const {
    const Map& map = map_;
    // A few headers are scanned once, comparing sizes first; a larger map is searched first.
    constexpr std::size_t kScanAtMost = 8;
    if (map.size() > kScanAtMost) {
      const auto exact = map.find(typename Map::key_type(key));
      if (exact != map.end()) return exact;
    }
    // Counted rather than compared with end(): the last entry is not stepped past (a tree map's
    // step is a library call, as dear as the comparison itself).
    bool same_length_seen = false;
    std::size_t left = map.size();
    for (auto it = map.begin(); left > 0; ++it) {
      const std::string_view name(it->first);
      if (name.size() == key.size()) {
        if (name == key) return it;
        same_length_seen = true;
      }
      if (--left == 0) break;
    }
    return same_length_seen ? find_ignoring_case(key) : map.end();
  }

  // The first entry whose key matches `key` ignoring case.
  [[gnu::noinline]] typename Map::const_iterator find_ignoring_case(std::string_view key) const {
    for (auto it = map_.begin(); it != map_.end(); ++it) {
      if (equals_ignore_case(it->first, key)) return it;
    }
    return map_.end();
  }

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
