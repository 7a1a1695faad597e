#include "honeyhive/propagation/trace_context.hpp"

#include <algorithm>

#include "core/env.hpp"

namespace honeyhive::trace_context {
namespace {

constexpr std::size_t kVersion00Length = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int hex_digit(char c) noexcept { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  value = trim_ows(value);
  if (value.size() < kVersion00Length) return std::nullopt;
  if (!is_lower_hex(value[0]) || !is_lower_hex(value[1])) return std::nullopt;
  const int version = hex_digit(value[0]) * 16 + hex_digit(value[1]);
  if (version == 0xff) return std::nullopt;
  if (version == 0 && value.size() != kVersion00Length) return std::nullopt;
  // Section 4.3 (versioning): a parser for version 00 reading a higher version takes the first
  // 55 characters, provided the value continues with '-' after them.
  if (value.size() > kVersion00Length && value[kVersion00Length] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const auto trace_id = TraceId::from_hex(value.substr(3, 32));
  const auto span_id = SpanId::from_hex(value.substr(36, 16));
  if (!trace_id || !span_id || !trace_id->is_valid() || !span_id->is_valid()) return std::nullopt;
  if (!is_lower_hex(value[53]) || !is_lower_hex(value[54])) return std::nullopt;
  auto flags = static_cast<std::uint8_t>(hex_digit(value[53]) * 16 + hex_digit(value[54]));
  return SpanContext(*trace_id, *span_id, TraceFlags{flags}, /*remote=*/true);
}

bool is_valid_key(std::string_view key) noexcept {
  // Level 2, section 3.3.1.3.1: key = ( lcalpha / DIGIT ) 0*255( keychar ), where keychar adds
  // "@" to the Level 1 characters; this covers both simple and tenant@system keys.
  if (key.empty() || key.size() > 256) return false;
  if (!is_lcalpha(key[0]) && !is_digit(key[0])) return false;
  return std::all_of(key.begin() + 1, key.end(), [](char c) { return is_key_char(c) || c == '@'; });
}

bool is_valid_value(std::string_view value) noexcept {
  // value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
  if (value.empty() || value.size() > 256) return false;
  const auto nblk = [](char c) { return c >= 0x21 && c <= 0x7E && c != ',' && c != '='; };
  if (!nblk(value.back())) return false;
  return std::all_of(value.begin(), value.end(), [&](char c) { return c == ' ' || nblk(c); });
}

std::optional<TraceState> parse_tracestate(std::string_view value) {
  std::vector<TraceState::Member> members;
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

std::string format_traceparent(const SpanContext& context) {
  if (!context.is_valid()) return {};
  std::string out(kVersion00Length, '-');
  out[0] = '0';
  out[1] = '0';
  context.trace_id().to_hex(&out[3]);
  context.span_id().to_hex(&out[36]);
  // Only the flags this version defines (sampled 0x01, random 0x02) are propagated; unknown bits
  // are zeroed (Level 2, section 3.2.2.5).
  const std::uint8_t flags = context.flags().value & 0x03U;
  hex_encode(&flags, 1, &out[53]);
  return out;
}

std::string format_tracestate(const TraceState& state, std::size_t max_length) {
  const auto& members = state.members();
  std::vector<bool> keep(members.size(), false);
  std::size_t kept = 0;
  std::size_t length = 0;
  // Members built in-process (a sampler, the application) are checked too: one bad member would
  // make the receiver discard the whole header.
  for (std::size_t i = 0; i < members.size() && kept < kMaxTraceStateMembers; ++i) {
    if (!is_valid_key(members[i].first) || !is_valid_value(members[i].second)) continue;
    keep[i] = true;
    length += (kept > 0 ? 1 : 0) + members[i].first.size() + 1 + members[i].second.size();
    ++kept;
  }
  const auto member_length = [&](std::size_t i) { return members[i].first.size() + 1 + members[i].second.size(); };
  // First pass: drop members longer than 128 characters, from the end.
  for (std::size_t i = members.size(); i-- > 0 && length > max_length;) {
    if (keep[i] && member_length(i) > kLongMemberLength) {
      keep[i] = false;
      length -= member_length(i) + (--kept > 0 ? 1 : 0);
    }
  }
  // Second pass: drop from the end until it fits.
  for (std::size_t i = members.size(); i-- > 0 && length > max_length;) {
    if (keep[i]) {
      keep[i] = false;
      length -= member_length(i) + (--kept > 0 ? 1 : 0);
    }
  }
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (!keep[i]) continue;
    if (!out.empty()) out += ',';
    out += members[i].first;
    out += '=';
    out += members[i].second;
  }
  return out;
}

}  // namespace honeyhive::trace_context
