#include "honeyhive/propagation/trace_context.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/hex.hpp"
#include "propagation/trace_context_internal.hpp"

namespace honeyhive::trace_context {
namespace {

// Character classes of the tracestate grammar (Level 2, section 3.3.1.3), one table lookup per
// character.
constexpr std::uint8_t kKeyFirst = 0x01;   // lcalpha / DIGIT
constexpr std::uint8_t kKeyChar = 0x02;    // lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
constexpr std::uint8_t kNonBlank = 0x04;   // nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
constexpr std::uint8_t kValueChar = 0x08;  // chr = %x20 / nblk-chr

struct CharClasses {
  std::uint8_t of[256];
};
constexpr CharClasses make_char_classes() noexcept {
  CharClasses table{};
  for (int c = 0; c < 256; ++c) {
    const bool lcalpha = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    std::uint8_t classes = 0;
    if (lcalpha || digit) classes |= kKeyFirst | kKeyChar;
    if (c == '_' || c == '-' || c == '*' || c == '/' || c == '@') classes |= kKeyChar;
    if (c >= 0x21 && c <= 0x7E && c != ',' && c != '=') classes |= kNonBlank | kValueChar;
    if (c == ' ') classes |= kValueChar;
    table.of[c] = classes;
  }
  return table;
}
constexpr CharClasses kClasses = make_char_classes();

bool has_class(char c, std::uint8_t classes) noexcept {
  return (kClasses.of[static_cast<unsigned char>(c)] & classes) != 0;
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

std::size_t member_length(const TraceState::Member& member) noexcept {
  return member.first.size() + 1 + member.second.size();
}

// The members format_tracestate writes, by index into the state: the valid ones, at most 32,
// then truncated to `max_length` (section 3.3.1.5). At most 32 are ever kept, so a fixed array
// holds them and formatting allocates nothing.
struct Selection {
  static constexpr std::size_t kRemoved = static_cast<std::size_t>(-1);
  std::size_t index[kMaxTraceStateMembers];
  std::size_t count = 0;   // entries of `index`, removed ones included
  std::size_t kept = 0;    // entries not removed
  std::size_t length = 0;  // of the kept members joined with ','
};

Selection select_members(const std::vector<TraceState::Member>& members, std::size_t max_length) noexcept {
  Selection selection;
  // Members built in-process (a sampler, the application) are checked too: one bad member would
  // make the receiver discard the whole header.
  for (std::size_t i = 0; i < members.size() && selection.count < kMaxTraceStateMembers; ++i) {
    if (!is_valid_key(members[i].first) || !is_valid_value(members[i].second)) continue;
    selection.length += (selection.count > 0 ? 1 : 0) + member_length(members[i]);
    selection.index[selection.count++] = i;
  }
  selection.kept = selection.count;
  if (selection.length <= max_length) return selection;
  const auto remove = [&](std::size_t slot) {
    selection.length -= member_length(members[selection.index[slot]]) + (--selection.kept > 0 ? 1 : 0);
    selection.index[slot] = Selection::kRemoved;
  };
  // First pass: drop members longer than 128 characters, from the end.
  for (std::size_t slot = selection.count; slot-- > 0 && selection.length > max_length;) {
    if (selection.index[slot] != Selection::kRemoved &&
        member_length(members[selection.index[slot]]) > kLongMemberLength) {
      remove(slot);
    }
  }
  // Second pass: drop from the end until it fits.
  for (std::size_t slot = selection.count; slot-- > 0 && selection.length > max_length;) {
    if (selection.index[slot] != Selection::kRemoved) remove(slot);
  }
  return selection;
}

// Writes the selected members (selection.length characters) to `out`.
void write_members(const std::vector<TraceState::Member>& members, const Selection& selection, char* out) noexcept {
  bool first = true;
  for (std::size_t slot = 0; slot < selection.count; ++slot) {
    if (selection.index[slot] == Selection::kRemoved) continue;
    const TraceState::Member& member = members[selection.index[slot]];
    if (!first) *out++ = ',';
    first = false;
    out = std::copy(member.first.begin(), member.first.end(), out);
    *out++ = '=';
    out = std::copy(member.second.begin(), member.second.end(), out);
  }
}

// Everything after the version of a 55-character traceparent: "-<trace id>-<parent id>-<flags>".
std::optional<SpanContext> parse_traceparent_fields(const char* text) noexcept {
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  const int flags = honeyhive::detail::decode_lower_hex_2(text + 53);
  if (flags < 0) return std::nullopt;
  // The ids' 48 hex characters, 16 at a time, straight into their bytes.
  std::array<std::uint8_t, TraceId::kSize> trace_bytes;
  std::array<std::uint8_t, SpanId::kSize> span_bytes;
  if (!honeyhive::detail::decode_lower_hex_16(text + 3, trace_bytes.data()) ||
      !honeyhive::detail::decode_lower_hex_16(text + 19, trace_bytes.data() + 8) ||
      !honeyhive::detail::decode_lower_hex_16(text + 36, span_bytes.data())) {
    return std::nullopt;
  }
  const TraceId trace_id(trace_bytes);
  const SpanId span_id(span_bytes);
  if (!trace_id.is_valid() || !span_id.is_valid()) return std::nullopt;
  return SpanContext(trace_id, span_id, TraceFlags{static_cast<std::uint8_t>(flags)}, /*remote=*/true);
}

}  // namespace

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  // What nearly every request carries: version 00, exactly 55 characters, no surrounding spaces.
  if (value.size() == kTraceparentLength && value[0] == '0' && value[1] == '0') {
    return parse_traceparent_fields(value.data());
  }
  std::size_t begin = 0;
  std::size_t end = value.size();
  while (begin < end && is_ows(value[begin])) ++begin;
  while (end > begin && is_ows(value[end - 1])) --end;
  const char* text = value.data() + begin;
  const std::size_t size = end - begin;
  if (size < kTraceparentLength) return std::nullopt;
  const int version = honeyhive::detail::decode_lower_hex_2(text);
  if (version < 0) return std::nullopt;
  if (version == 0xff) return std::nullopt;
  if (version == 0 && size != kTraceparentLength) return std::nullopt;
  // Section 4.3 (versioning): a parser for version 00 reading a higher version takes the first
  // 55 characters, provided the value continues with '-' after them.
  if (size > kTraceparentLength && text[kTraceparentLength] != '-') return std::nullopt;
  return parse_traceparent_fields(text);
}

bool is_valid_key(std::string_view key) noexcept {
  // Level 2, section 3.3.1.3.1: key = ( lcalpha / DIGIT ) 0*255( keychar ), where keychar adds
  // "@" to the Level 1 characters; this covers both simple and tenant@system keys.
  if (key.empty() || key.size() > 256) return false;
  if (!has_class(key[0], kKeyFirst)) return false;
  for (std::size_t i = 1; i < key.size(); ++i) {
    if (!has_class(key[i], kKeyChar)) return false;
  }
  return true;
}

bool is_valid_value(std::string_view value) noexcept {
  // value = 0*255(chr) nblk-chr
  if (value.empty() || value.size() > 256) return false;
  if (!has_class(value.back(), kNonBlank)) return false;
  for (const char c : value) {
    if (!has_class(c, kValueChar)) return false;
  }
  return true;
}

std::optional<TraceState> parse_tracestate(std::string_view value) {
  std::vector<TraceState::Member> members;
  // One allocation: room for every list-member the header can hold (more than 32 is rejected).
  std::size_t commas = 0;
  for (std::size_t at = value.find(','); at != std::string_view::npos && commas < kMaxTraceStateMembers;
       at = value.find(',', at + 1)) {
    ++commas;
  }
  members.reserve(commas + 1);
  std::size_t received = 0;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view member = trim_ows(value.substr(start, comma - start));
    start = comma + 1;
    if (member.empty()) continue;  // empty list-members are allowed (section 3.3.1.1)
    const std::size_t equals = member.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string_view key = member.substr(0, equals);
    const std::string_view member_value = member.substr(equals + 1);
    if (!is_valid_key(key) || !is_valid_value(member_value)) return std::nullopt;
    if (++received > kMaxTraceStateMembers) return std::nullopt;
    // Level 2 section 3.3.1.4 lets a vendor discard duplicate keys it did not generate: the first
    // (leftmost, most recent) member wins, the header stays valid (the W3C harness expects this).
    const bool duplicate = std::any_of(members.begin(), members.end(),
                                       [&](const TraceState::Member& existing) { return existing.first == key; });
    if (!duplicate) members.emplace_back(std::string(key), std::string(member_value));
  }
  return TraceState(std::move(members));
}

bool format_traceparent(const SpanContext& context, char* out) noexcept {
  if (!context.is_valid()) return false;
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  // The ids' bytes straight into 48 hex characters, 8 bytes at a time.
  honeyhive::detail::encode_lower_hex_8(context.trace_id().bytes().data(), out + 3);
  honeyhive::detail::encode_lower_hex_8(context.trace_id().bytes().data() + 8, out + 19);
  out[35] = '-';
  honeyhive::detail::encode_lower_hex_8(context.span_id().bytes().data(), out + 36);
  out[52] = '-';
  // Only the flags this version defines (sampled 0x01, random 0x02) are propagated; unknown bits
  // are zeroed (Level 2, section 3.2.2.5).
  const unsigned flags = context.flags().value & 0x03U;
  out[53] = '0';
  out[54] = static_cast<char>('0' + flags);
  return true;
}

std::string format_traceparent(const SpanContext& context) {
  if (!context.is_valid()) return {};
  std::string out(kTraceparentLength, '-');
  format_traceparent(context, out.data());
  return out;
}

std::string format_tracestate(const TraceState& state, std::size_t max_length) {
  const Selection selection = select_members(state.members(), max_length);
  std::string out(selection.length, '\0');
  write_members(state.members(), selection, out.data());
  return out;
}

namespace detail {

std::size_t write_tracestate(const TraceState& state, std::size_t max_length, char* out) noexcept {
  const Selection selection = select_members(state.members(), max_length);
  write_members(state.members(), selection, out);
  return selection.length;
}

}  // namespace detail
}  // namespace honeyhive::trace_context
