#pragma once

#include <cstddef>

namespace honeyhive::detail {

// Threads alive that have used a Context (attached a scope or read the current context).
std::size_t live_context_threads() noexcept;

// Set once the process is going down (the exit hook started); components with long waits in
// their destructors shorten them then.
void mark_process_exiting() noexcept;
bool process_is_exiting() noexcept;

}  // namespace honeyhive::detail
