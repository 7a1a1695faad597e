#include "honeyhive/core/trace_state.hpp"

namespace honeyhive {

std::optional<std::string_view> TraceState::get(std::string_view key) const noexcept {
  for (const auto& member : members_) {
    if (member.first == key) return std::string_view(member.second);
  }
  return std::nullopt;
}

TraceState TraceState::with(std::string key, std::string value) const {
  std::vector<Member> members;
  members.reserve(members_.size() + 1);
  members.emplace_back(std::move(key), std::move(value));
  for (const auto& member : members_) {
    if (member.first != members.front().first) members.push_back(member);
  }
  return TraceState(std::move(members));
}

TraceState TraceState::without(std::string_view key) const {
  std::vector<Member> members;
  members.reserve(members_.size());
  for (const auto& member : members_) {
    if (member.first != key) members.push_back(member);
  }
  return TraceState(std::move(members));
}

std::string TraceState::to_header() const {
  std::string out;
  for (const auto& member : members_) {
    if (!out.empty()) out += ',';
    out += member.first;
    out += '=';
    out += member.second;
  }
  return out;
}

}  // namespace honeyhive
