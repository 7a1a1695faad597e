#pragma once

// http(s) URLs as users give them (internal): read from a file, typed in capitals, with a query
// a gateway needs. One reading for every place that takes a base URL and adds a path to it.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace honeyhive::detail {

// `url` as an http(s) URL: surrounding whitespace (a value read from a file keeps its newline)
// taken off and the scheme in lower case (RFC 3986: schemes are case-insensitive). Nullopt when it
// is not one: another scheme or none, no host, or a space or control character inside (no URL has
// them unencoded, and they would reach logs and reports as they are).
inline std::optional<std::string> normalized_http_url(std::string_view url) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!url.empty() && is_space(url.front())) url.remove_prefix(1);
  while (!url.empty() && is_space(url.back())) url.remove_suffix(1);
  std::string out(url);
  const std::size_t colon = out.find("://");
  if (colon == std::string::npos) return std::nullopt;
  for (std::size_t i = 0; i < colon; ++i) {
    if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] - 'A' + 'a');
  }
  const std::string_view scheme(out.data(), colon);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::string_view rest = std::string_view(out).substr(colon + 3);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':' || rest.front() == '?' || rest.front() == '#') {
    return std::nullopt;
  }
  for (const char c : rest) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return std::nullopt;
  }
  return out;
}

// `base` with `path` (starting with '/') added to its path: before its query, which is kept (a
// gateway may need it on every request; after the path's own query, if it has one), its fragment
// dropped (never sent), and the base path's trailing slashes not doubled.
// "https://h/hh/?t=1" + "/v1/events" gives "https://h/hh/v1/events?t=1"; + "/v1/d?id=x",
// "https://h/hh/v1/d?id=x&t=1".
inline std::string append_url_path(std::string_view base, std::string_view path) {
  const std::size_t fragment = base.find('#');
  if (fragment != std::string_view::npos) base = base.substr(0, fragment);
  std::string_view query;
  if (const std::size_t at = base.find('?'); at != std::string_view::npos) {
    query = base.substr(at);
    base = base.substr(0, at);
  }
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string out;
  out.reserve(base.size() + path.size() + query.size());
  out.append(base).append(path);
  // A path with a query of its own ("/v1/datasets?dataset_id=x"): the base's parameters follow.
  if (!query.empty() && path.find('?') != std::string_view::npos) {
    out.append("&").append(query.substr(1));
  } else {
    out.append(query);
  }
  return out;
}

// Takes the trailing slashes off `url`'s path, unless it has a query or fragment (a slash there is
// part of the value, and append_url_path handles the path's own slashes).
inline void trim_trailing_slashes(std::string& url) {
  if (url.find_first_of("?#") != std::string::npos) return;
  while (!url.empty() && url.back() == '/') url.pop_back();
}

}  // namespace honeyhive::detail
