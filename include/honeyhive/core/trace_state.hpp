#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace honeyhive {

// W3C `tracestate`: an ordered list of vendor key/value members, newest first.
// An immutable value: mutations return a new TraceState. Parsing and validation of the
// header grammar live in the propagation layer; this type only holds members.
class TraceState {
 public:
  using Member = std::pair<std::string, std::string>;

  TraceState() = default;
  explicit TraceState(std::vector<Member> members) : members_(std::move(members)) {}

  bool empty() const noexcept { return members_.empty(); }
  const std::vector<Member>& members() const noexcept { return members_; }
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  // A copy with `key` set to `value` and moved to the front (W3C: updated members go first).
  TraceState with(std::string key, std::string value) const;
  TraceState without(std::string_view key) const;

  // "k1=v1,k2=v2" (no validation; the propagator validates before building a TraceState).
  std::string to_header() const;

  friend bool operator==(const TraceState& a, const TraceState& b) { return a.members_ == b.members_; }

 private:
  std::vector<Member> members_;
};

}  // namespace honeyhive
