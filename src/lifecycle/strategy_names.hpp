#pragma once

// The names a lifecycle strategy can be forced by (internal: HH_LIFECYCLE_STRATEGY or the config's
// lifecycle_strategy, read by detect_lifecycle_strategy and checked by resolve_config).
#include <string>

namespace honeyhive::detail {

// Whether detect_lifecycle_strategy takes `name` (any case): a kind, "auto", or empty.
bool is_lifecycle_strategy_name(const std::string& name) noexcept;

// What is reported of a name is_lifecycle_strategy_name rejects, given by `from`.
std::string unknown_lifecycle_strategy(const std::string& from, const std::string& name);

}  // namespace honeyhive::detail
