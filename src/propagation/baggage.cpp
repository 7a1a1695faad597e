#include "honeyhive/propagation/baggage.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/env.hpp"
#include "core/utf8.hpp"

namespace honeyhive::baggage {
namespace {

// Character classes of the header grammar, one table lookup per character.
constexpr std::uint8_t kTokenChar = 0x01;     // RFC 7230 tchar (keys)
constexpr std::uint8_t kBaggageOctet = 0x02;  // %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (values)
constexpr std::uint8_t kVerbatim = 0x04;      // a baggage-octet other than '%': written unencoded

struct CharClasses {
  std::uint8_t of[256];
};
constexpr CharClasses make_char_classes() noexcept {
  constexpr char kTokenPunctuation[] = "!#$%&'*+-.^_`|~";
  CharClasses table{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t classes = 0;
    bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    for (const char p : kTokenPunctuation) token = token || (p != '\0' && c == p);
    if (token) classes |= kTokenChar;
    if (c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\') {
      classes |= kBaggageOctet;
      if (c != '%') classes |= kVerbatim;
    }
    table.of[c] = classes;
  }
  return table;
}
constexpr CharClasses kClasses = make_char_classes();

bool all_of_class(std::string_view text, std::uint8_t classes) noexcept {
  for (const char c : text) {
    if ((kClasses.of[static_cast<unsigned char>(c)] & classes) == 0) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Where a header or its properties are written: a std::string, or a fixed buffer.
class StringWriter {
 public:
  explicit StringWriter(std::string& out) noexcept : out_(out) {}
  void append(std::string_view text) { out_.append(text.data(), text.size()); }
  void push(char c) { out_.push_back(c); }

 private:
  std::string& out_;
};

// A header written into a buffer of kMaxBytes (on the caller's stack): no allocation and no
// library call per piece. What would not fit is not written, and overflowed() says so; the member
// being written is then too large for the header anyway and is taken back with truncate().
class BoundedWriter {
 public:
  explicit BoundedWriter(char* data) noexcept : data_(data) {}
  void append(std::string_view text) noexcept {
    if (text.size() > kMaxBytes - size_) {
      overflowed_ = true;
      return;
    }
    std::memcpy(data_ + size_, text.data(), text.size());
    size_ += text.size();
  }
  void push(char c) noexcept {
    if (size_ == kMaxBytes) {
      overflowed_ = true;
      return;
    }
    data_[size_++] = c;
  }
  std::size_t size() const noexcept { return size_; }
  bool overflowed() const noexcept { return overflowed_; }
  void truncate(std::size_t size) noexcept {
    size_ = size;
    overflowed_ = false;
  }
  std::string_view view() const noexcept { return {data_, size_}; }

 private:
  char* data_;
  std::size_t size_ = 0;
  bool overflowed_ = false;
};

// property = key OWS "=" OWS value / key OWS; appends the normalised text ("k=v" or "k").
template <class Writer>
bool append_property(std::string_view text, Writer& out) {
  text = trim_ows(text);
  const std::size_t equals = text.find('=');
  const std::string_view key = trim_ows(text.substr(0, equals));
  if (!is_valid_key(key)) return false;
  if (equals == std::string_view::npos) {
    out.append(key);
    return true;
  }
  const std::string_view value = trim_ows(text.substr(equals + 1));
  if (!all_of_class(value, kBaggageOctet)) return false;
  out.append(key);
  out.push('=');
  out.append(value);
  return true;
}

// ";"-separated properties, appended normalised to `out`. False when any is malformed (`out` may
// then hold part of them).
template <class Writer>
bool append_properties(std::string_view text, Writer& out) {
  bool first = true;
  while (true) {
    const std::size_t next = text.find(';');
    if (!first) out.push(';');
    first = false;
    if (!append_property(text.substr(0, next), out)) return false;
    if (next == std::string_view::npos) return true;
    text = text.substr(next + 1);
  }
}

// One list-member, trimmed of surrounding OWS; false when malformed. One pass over key and value
// with the class table (key = token, OWS "=" OWS, value = *baggage-octet, OWS, then ";" properties
// or the end) instead of a search for each separator and a scan for each class.
bool parse_member(std::string_view text, BaggageEntry& entry) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  const auto is = [](char c, std::uint8_t classes) {
    return (kClasses.of[static_cast<unsigned char>(c)] & classes) != 0;
  };
  const auto skip_ows = [&] {
    while (p != end && (*p == ' ' || *p == '\t')) ++p;
  };
  while (p != end && is(*p, kTokenChar)) ++p;
  const std::string_view key(begin, static_cast<std::size_t>(p - begin));
  skip_ows();
  if (key.empty() || p == end || *p != '=') return false;
  ++p;
  skip_ows();
  const char* const value_begin = p;
  bool escaped = false;
  while (p != end && is(*p, kBaggageOctet)) {
    escaped = escaped || *p == '%';
    ++p;
  }
  const std::string_view value(value_begin, static_cast<std::size_t>(p - value_begin));
  skip_ows();
  if (p != end && *p != ';') return false;
  if (escaped) {
    if (!detail::percent_decode(value, entry.value)) return false;
    detail::make_valid_utf8(entry.value);  // section 3.2.1.1: invalid UTF-8 becomes U+FFFD
  } else {
    entry.value.assign(value.data(), value.size());  // baggage-octets only: ASCII
  }
  entry.key.assign(key.data(), key.size());
  entry.properties.clear();
  if (p == end) return true;
  StringWriter properties(entry.properties);
  return append_properties(std::string_view(p + 1, static_cast<std::size_t>(end - p - 1)), properties);
}

// Appends `value` percent-encoded (every byte outside baggage-octet, and '%').
template <class Writer>
void append_percent_encoded(std::string_view value, Writer& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t verbatim_from = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if ((kClasses.of[byte] & kVerbatim) != 0) continue;
    out.append(value.substr(verbatim_from, i - verbatim_from));
    const char escape[3] = {'%', kHex[byte >> 4U], kHex[byte & 0x0FU]};
    out.append(std::string_view(escape, 3));
    verbatim_from = i + 1;
  }
  out.append(value.substr(verbatim_from));
}

// Counts what would be written, writing nothing.
class CountingWriter {
 public:
  void append(std::string_view text) noexcept { size_ += text.size(); }
  void push(char) noexcept { ++size_; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::size_t size_ = 0;
};

// The bytes format() writes for `entry` (without a separator): its value percent-encoded, its
// properties normalised; 0 for an entry format() leaves out (an invalid key or properties).
std::size_t formatted_size(const BaggageEntry& entry) noexcept {
  if (!is_valid_key(entry.key)) return 0;
  std::size_t value = entry.value.size();
  for (const char c : entry.value) {
    if ((kClasses.of[static_cast<unsigned char>(c)] & kVerbatim) == 0) value += 2;  // "%XX"
  }
  std::size_t properties = 0;
  if (!entry.properties.empty()) {
    CountingWriter counter;
    if (!append_properties(entry.properties, counter)) return 0;
    properties = 1 + counter.size();
  }
  return entry.key.size() + 1 + value + properties;
}

// The members and bytes of a header as format() writes it, while entries are added or replaced:
// what parse() keeps and what merge_within_limits() adds are held to the limits by the same rule.
class HeaderBudget {
 public:
  // Counts an entry already there (`size`: its formatted_size, 0 when format() leaves it out).
  void count(std::size_t size) noexcept {
    members_ += size > 0 ? 1 : 0;
    sum_ += size;
  }
  // Whether an entry of `size`, replacing one of `replaced` (0: a new entry), keeps the header within
  // the limits, or no further past them than it already is (a context built in-process may be); if
  // so, it is counted.
  bool admit(std::size_t replaced, std::size_t size) noexcept {
    const std::size_t members = members_ - (replaced > 0 ? 1 : 0) + (size > 0 ? 1 : 0);
    const std::size_t sum = sum_ - replaced + size;
    if (members > std::max(kMaxMembers, members_) || bytes(members, sum) > std::max(kMaxBytes, bytes(members_, sum_))) {
      return false;
    }
    members_ = members;
    sum_ = sum;
    return true;
  }

 private:
  // The separators included.
  static std::size_t bytes(std::size_t members, std::size_t sum) noexcept {
    return sum + (members > 0 ? members - 1 : 0);
  }

  std::size_t members_ = 0;
  std::size_t sum_ = 0;  // the members' bytes, without separators
};

// At most `limit` list-members (the commas plus one); used to size allocations up front.
std::size_t count_members(std::string_view header, std::size_t limit) noexcept {
  std::size_t members = 1;
  for (std::size_t at = header.find(','); at != std::string_view::npos && members < limit;
       at = header.find(',', at + 1)) {
    ++members;
  }
  return members;
}

}  // namespace

bool is_valid_key(std::string_view key) noexcept { return !key.empty() && all_of_class(key, kTokenChar); }

std::string percent_encode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  StringWriter writer(out);
  append_percent_encoded(value, writer);
  return out;
}

bool percent_decode(std::string_view value, std::string& out) {
  if (value.find('%') == std::string_view::npos) {
    out.assign(value);
    return true;
  }
  return detail::percent_decode(value, out);
}

ParseResult parse(std::string_view header) {
  ParseResult result;
  if (trim_ows(header).empty()) return result;
  result.entries.reserve(count_members(header, kMaxMembers));
  HeaderBudget budget;
  std::size_t start = 0;
  BaggageEntry entry;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view raw = trim_ows(header.substr(start, comma - start));
    start = comma + 1;
    if (raw.empty()) continue;
    if (!parse_member(raw, entry)) {
      ++result.invalid;
      continue;
    }
    // Limits count what would be propagated: the member as format() writes it again (an escape of
    // invalid UTF-8 grows to that of U+FFFD). A later value of a key replaces the earlier one.
    auto existing = std::find_if(result.entries.begin(), result.entries.end(),
                                 [&](const BaggageEntry& e) { return e.key == entry.key; });
    const bool replacing = existing != result.entries.end();
    if (!budget.admit(replacing ? formatted_size(*existing) : 0, formatted_size(entry))) {
      ++result.dropped;  // a later value that does not fit keeps the earlier one whole
      continue;
    }
    if (replacing) {
      std::swap(*existing, entry);
      continue;
    }
    result.entries.push_back(std::move(entry));
    entry = BaggageEntry();
  }
  return result;
}

std::size_t merge_within_limits(std::vector<BaggageEntry>& into, std::vector<BaggageEntry> entries) {
  HeaderBudget budget;
  for (const auto& entry : into) budget.count(formatted_size(entry));
  std::size_t dropped = 0;
  for (auto& entry : entries) {
    auto existing = std::find_if(into.begin(), into.end(), [&](const BaggageEntry& e) { return e.key == entry.key; });
    const bool replacing = existing != into.end();
    if (!budget.admit(replacing ? formatted_size(*existing) : 0, formatted_size(entry))) {
      ++dropped;  // a new member is left out; an override leaves the context's value
      continue;
    }
    if (replacing) {
      *existing = std::move(entry);
    } else {
      into.push_back(std::move(entry));
    }
  }
  return dropped;
}

std::string format(const std::vector<BaggageEntry>& entries, std::size_t* dropped) {
  char buffer[kMaxBytes];
  return std::string(format_into(entries, buffer, dropped));
}

std::string_view format_into(const std::vector<BaggageEntry>& entries, char (&buffer)[kMaxBytes],
                             std::size_t* dropped) noexcept {
  BoundedWriter out(buffer);
  std::size_t left_out = 0;
  std::size_t members = 0;
  for (const auto& entry : entries) {
    if (!is_valid_key(entry.key)) {
      ++left_out;
      continue;
    }
    // Written in place, then taken back when the properties are malformed or it does not fit.
    const std::size_t mark = out.size();
    if (members > 0) out.push(',');
    out.append(entry.key);
    out.push('=');
    append_percent_encoded(entry.value, out);
    bool valid = true;
    if (!entry.properties.empty()) {
      out.push(';');
      valid = append_properties(entry.properties, out);
    }
    if (!valid || members >= kMaxMembers || out.overflowed()) {
      out.truncate(mark);
      ++left_out;
      continue;
    }
    ++members;
  }
  if (dropped != nullptr) *dropped += left_out;
  return out.view();
}

}  // namespace honeyhive::baggage
