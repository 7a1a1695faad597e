#pragma once

// A JSON value as compact text (internal).
#include <string>

#include <nlohmann/json.hpp>

namespace honeyhive::detail {

// `value` dumped compactly; invalid UTF-8 in its strings becomes U+FFFD instead of throwing
// (structured.cpp).
std::string json_text(const nlohmann::json& value);

}  // namespace honeyhive::detail
