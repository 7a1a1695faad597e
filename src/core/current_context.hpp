#pragma once

// This thread's current context without a copy (internal; src/core/context.cpp).
#include "honeyhive/core/context.hpp"

namespace honeyhive::detail {

// The context Context::current() copies. The reference stays valid while scopes are attached and
// ended above it on this thread (their entries never move it), so a span start may hand it to
// processors that attach scopes of their own; it does not outlive the scope that attached it.
const Context& current_context_ref() noexcept;

}  // namespace honeyhive::detail
