#pragma once

// What may go into a request's header lines (internal).
//
// A header value holding a line break ends its header line early, and what follows becomes another
// header (or, after an empty line, the start of the body): "header injection". Such values come in
// with configuration: an API key read from a file with its trailing newline, or
// OTEL_EXPORTER_OTLP_HEADERS with a percent-encoded %0D%0A. The transport sends values without
// their surrounding whitespace (which HTTP does not count as part of a value, RFC 9110 section 5.5)
// and refuses a request whose header names are not tokens or whose values still hold a control
// character other than a tab.
#include <string>
#include <string_view>

#include "honeyhive/transport/http_client.hpp"

namespace honeyhive::detail {

// `value` without leading and trailing spaces, tabs, carriage returns and line feeds.
std::string_view trim_header_value(std::string_view value) noexcept;

// Whether `name` is a token (RFC 9110 section 5.1: one or more of the characters tchar allows).
bool is_header_name(std::string_view name) noexcept;

// Whether `value`, trimmed, holds no control character but tabs (no NUL, CR, LF or DEL).
bool is_header_value(std::string_view value) noexcept;

// Why `headers` cannot be sent, or "" when they can. Never contains a header's value (values carry
// API keys); names a header by its name when that is a token, else by its position.
std::string header_problem(const HttpHeaders& headers);

}  // namespace honeyhive::detail
