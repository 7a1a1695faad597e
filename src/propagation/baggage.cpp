#include "honeyhive/propagation/baggage.hpp"

#include <algorithm>

#include "core/env.hpp"
#include "core/utf8.hpp"

namespace honeyhive::baggage {
namespace {

// RFC 7230 tchar.
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool is_baggage_octet(char c) noexcept {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// property = key OWS "=" OWS value / key OWS; returns the normalised text ("k=v" or "k").
bool parse_property(std::string_view text, std::string& out) {
  text = trim_ows(text);
  const std::size_t equals = text.find('=');
  const std::string_view key = trim_ows(text.substr(0, equals));
  if (!is_valid_key(key)) return false;
  out.assign(key);
  if (equals == std::string_view::npos) return true;
  const std::string_view value = trim_ows(text.substr(equals + 1));
  if (!std::all_of(value.begin(), value.end(), is_baggage_octet)) return false;
  out += '=';
  out += value;
  return true;
}

// ";"-separated properties; the normalised text goes to `out`. False when any is malformed.
bool parse_properties(std::string_view text, std::string& out) {
  out.clear();
  while (true) {
    const std::size_t next = text.find(';');
    std::string property;
    if (!parse_property(text.substr(0, next), property)) return false;
    if (!out.empty()) out += ';';
    out += property;
    if (next == std::string_view::npos) return true;
    text = text.substr(next + 1);
  }
}

// One list-member; false when malformed.
bool parse_member(std::string_view text, BaggageEntry& entry) {
  const std::size_t semicolon = text.find(';');
  const std::string_view key_value = text.substr(0, semicolon);
  const std::size_t equals = key_value.find('=');
  if (equals == std::string_view::npos) return false;
  const std::string_view key = trim_ows(key_value.substr(0, equals));
  const std::string_view value = trim_ows(key_value.substr(equals + 1));
  if (!is_valid_key(key)) return false;
  if (!std::all_of(value.begin(), value.end(), is_baggage_octet)) return false;
  std::string decoded;
  if (!percent_decode(value, decoded)) return false;
  detail::make_valid_utf8(decoded);  // section 3.2.1.1: invalid UTF-8 becomes U+FFFD
  entry.key.assign(key);
  entry.value = std::move(decoded);
  entry.properties.clear();
  if (semicolon == std::string_view::npos) return true;
  return parse_properties(text.substr(semicolon + 1), entry.properties);
}

std::size_t member_size(const BaggageEntry& entry, const std::string& encoded_value, const std::string& properties) {
  return entry.key.size() + 1 + encoded_value.size() + (properties.empty() ? 0 : 1 + properties.size());
}

}  // namespace

bool is_valid_key(std::string_view key) noexcept {
  return !key.empty() && std::all_of(key.begin(), key.end(), is_tchar);
}

std::string percent_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (is_baggage_octet(c) && c != '%') {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4U];
      out += kHex[byte & 0x0FU];
    }
  }
  return out;
}

bool percent_decode(std::string_view value, std::string& out) { return detail::percent_decode(value, out); }

ParseResult parse(std::string_view header) {
  ParseResult result;
  std::size_t bytes = 0;
  std::vector<std::size_t> sizes;  // the size each kept entry counts for, so a replacement can adjust `bytes`
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view raw = trim_ows(header.substr(start, comma - start));
    start = comma + 1;
    if (raw.empty()) continue;
    BaggageEntry entry;
    if (!parse_member(raw, entry)) {
      ++result.invalid;
      continue;
    }
    // Limits count what would be propagated: the member as received, plus its separator.
    const std::size_t size = raw.size() + (result.entries.empty() ? 0 : 1);
    auto existing = std::find_if(result.entries.begin(), result.entries.end(),
                                 [&](const BaggageEntry& e) { return e.key == entry.key; });
    if (existing != result.entries.end()) {
      const auto index = static_cast<std::size_t>(existing - result.entries.begin());
      const std::size_t replaced_size = raw.size() + (index == 0 ? 0 : 1);
      if (bytes - sizes[index] + replaced_size > kMaxBytes) {
        ++result.dropped;  // the later value does not fit: keep the earlier one whole
        continue;
      }
      bytes = bytes - sizes[index] + replaced_size;
      sizes[index] = replaced_size;
      *existing = std::move(entry);
      continue;
    }
    if (result.entries.size() >= kMaxMembers || bytes + size > kMaxBytes) {
      ++result.dropped;
      continue;
    }
    bytes += size;
    sizes.push_back(size);
    result.entries.push_back(std::move(entry));
  }
  return result;
}

std::string format(const std::vector<BaggageEntry>& entries, std::size_t* dropped) {
  std::string out;
  std::size_t members = 0;
  std::size_t left_out = 0;
  for (const auto& entry : entries) {
    std::string properties;
    if (!is_valid_key(entry.key) || (!entry.properties.empty() && !parse_properties(entry.properties, properties))) {
      ++left_out;
      continue;
    }
    const std::string encoded = percent_encode(entry.value);
    const std::size_t size = member_size(entry, encoded, properties) + (members > 0 ? 1 : 0);
    if (members >= kMaxMembers || out.size() + size > kMaxBytes) {
      ++left_out;
      continue;
    }
    if (members > 0) out += ',';
    out += entry.key;
    out += '=';
    out += encoded;
    if (!properties.empty()) {
      out += ';';
      out += properties;
    }
    ++members;
  }
  if (dropped != nullptr) *dropped += left_out;
  return out;
}

}  // namespace honeyhive::baggage
