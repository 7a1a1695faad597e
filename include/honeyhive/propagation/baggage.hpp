#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "honeyhive/core/context.hpp"

namespace honeyhive {

// W3C Baggage (https://www.w3.org/TR/baggage/).
namespace baggage {

// Section 3.3.1: at least 64 list-members and 8192 bytes must be propagated; past these we drop
// whole entries (never a part of one) and count them.
inline constexpr std::size_t kMaxMembers = 64;
inline constexpr std::size_t kMaxBytes = 8192;

struct ParseResult {
  std::vector<BaggageEntry> entries;  // values percent-decoded; properties kept as received
  std::size_t invalid = 0;            // list-members skipped as malformed
  std::size_t dropped = 0;            // valid list-members dropped by the limits
};

// Parses a baggage header value. Never throws on any input (except std::bad_alloc).
// A later member with the same key replaces an earlier one.
ParseResult parse(std::string_view header);

// Formats entries as a header value: values percent-encoded, properties re-emitted. Entries with
// an invalid key, and entries past the limits, are left out and added to `*dropped` when given.
std::string format(const std::vector<BaggageEntry>& entries, std::size_t* dropped = nullptr);
// format() into `buffer` (a header is at most kMaxBytes): the header, a view into `buffer`.
std::string_view format_into(const std::vector<BaggageEntry>& entries, char (&buffer)[kMaxBytes],
                             std::size_t* dropped = nullptr) noexcept;

// Adds `entries` to `into` (a key already there takes the new value) as far as the limits allow,
// counting members and bytes as format() would write them. What `into` holds is never removed: a
// new member that does not fit is left out, a new value that does not fit leaves the old one. Returns
// how many of `entries` were left out.
std::size_t merge_within_limits(std::vector<BaggageEntry>& into, std::vector<BaggageEntry> entries);

bool is_valid_key(std::string_view key) noexcept;
std::string percent_encode(std::string_view value);
// Decodes %XX escapes; a malformed escape makes the whole value invalid (nullopt-like: false).
bool percent_decode(std::string_view value, std::string& out);

}  // namespace baggage
}  // namespace honeyhive
