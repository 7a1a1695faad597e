#include "export/otlp_decode_common.hpp"

#include <utility>

#include "core/utf8.hpp"

namespace honeyhive::detail {

bool DecodeBudget::add_span() {
  if (++spans_ <= limits_.max_spans) return true;
  return fail_limit("more than " + std::to_string(limits_.max_spans) + " spans in one request");
}

bool DecodeBudget::add_element() {
  if (++elements_ <= max_elements_) return true;
  return fail_limit("more than " + std::to_string(max_elements_) +
                    " elements (resources, scopes, events, links, attributes, array values) in one request of " +
                    std::to_string(input_bytes_) + " bytes");
}

bool DecodeBudget::check_depth(std::size_t depth) {
  if (depth <= limits_.max_depth) return true;
  return fail_limit("values nested deeper than " + std::to_string(limits_.max_depth) + " levels");
}

bool DecodeBudget::fail_limit(const std::string& message) {
  if (error_.empty()) limit_exceeded_ = true;
  return fail(message);
}

bool DecodeBudget::fail(const std::string& message) {
  if (!error_.empty()) return false;
  for (const Step& step : path_) {
    if (!error_.empty()) error_ += '.';
    error_ += step.name;
    error_ += '[';
    error_ += std::to_string(step.index);
    error_ += ']';
  }
  if (!error_.empty()) error_ += ": ";
  error_ += message;
  return false;
}

AttributeValue attribute_from_json(const nlohmann::json& value) {
  if (value.is_array()) {
    if (value.empty()) return std::vector<std::string>{};
    const auto all = [&value](auto predicate) {
      for (const auto& item : value) {
        if (!predicate(item)) return false;
      }
      return true;
    };
    if (all([](const nlohmann::json& v) { return v.is_string(); })) {
      std::vector<std::string> out;
      out.reserve(value.size());
      for (const auto& item : value) out.push_back(item.get<std::string>());
      return out;
    }
    if (all([](const nlohmann::json& v) { return v.is_boolean(); })) {
      std::vector<bool> out;
      out.reserve(value.size());
      for (const auto& item : value) out.push_back(item.get<bool>());
      return out;
    }
    if (all([](const nlohmann::json& v) { return v.is_number_integer(); })) {
      std::vector<std::int64_t> out;
      out.reserve(value.size());
      for (const auto& item : value) out.push_back(item.get<std::int64_t>());
      return out;
    }
    if (all([](const nlohmann::json& v) { return v.is_number_float(); })) {
      std::vector<double> out;
      out.reserve(value.size());
      for (const auto& item : value) out.push_back(item.get<double>());
      return out;
    }
  }
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) return value.get<double>();
  if (value.is_null()) return std::string();
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string valid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  return repair_utf8(text);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t triple = (std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16U) |
                                 (std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8U) |
                                 std::uint32_t{static_cast<std::uint8_t>(bytes[i + 2])};
    out += kAlphabet[(triple >> 18U) & 0x3FU];
    out += kAlphabet[(triple >> 12U) & 0x3FU];
    out += kAlphabet[(triple >> 6U) & 0x3FU];
    out += kAlphabet[triple & 0x3FU];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t triple = std::uint32_t{static_cast<std::uint8_t>(bytes[i])} << 16U;
    if (rest == 2) triple |= std::uint32_t{static_cast<std::uint8_t>(bytes[i + 1])} << 8U;
    out += kAlphabet[(triple >> 18U) & 0x3FU];
    out += kAlphabet[(triple >> 12U) & 0x3FU];
    out += rest == 2 ? kAlphabet[(triple >> 6U) & 0x3FU] : '=';
    out += '=';
  }
  return out;
}

std::shared_ptr<const TraceState> parse_trace_state(std::string_view header) {
  // W3C Trace Context section 3.3.1.1: at most 32 members; more are dropped, so a hostile header cannot
  // turn a few bytes per comma into a member each.
  constexpr std::size_t kMaxMembers = 32;
  std::vector<TraceState::Member> members;
  while (!header.empty() && members.size() < kMaxMembers) {
    const std::size_t comma = header.find(',');
    std::string_view member = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!member.empty() && (member.front() == ' ' || member.front() == '\t')) member.remove_prefix(1);
    while (!member.empty() && (member.back() == ' ' || member.back() == '\t')) member.remove_suffix(1);
    const std::size_t equals = member.find('=');
    if (member.empty() || equals == std::string_view::npos) continue;
    members.emplace_back(valid_utf8(member.substr(0, equals)), valid_utf8(member.substr(equals + 1)));
  }
  if (members.empty()) return nullptr;
  return std::make_shared<const TraceState>(std::move(members));
}

}  // namespace honeyhive::detail
