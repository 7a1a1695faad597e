#pragma once

#include <cstddef>

namespace honeyhive::detail {

// Threads alive that have used a Context (attached a scope or read the current context).
std::size_t live_context_threads() noexcept;

}  // namespace honeyhive::detail
