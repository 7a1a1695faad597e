#pragma once

// This thread's current context without a copy (internal; src/core/context.cpp).
#include "honeyhive/core/context.hpp"

namespace honeyhive::detail {

// The context Context::current() copies. The reference stays that context until the scope that
// attached it ends, whatever scopes are attached or ended above or below it meanwhile on this
// thread (see ContextStack in context.cpp): a span start may hand it to processors that attach and
// end scopes of their own. Once its scope has ended, it shows an empty context or one attached
// later, never a destroyed one; it must not be used after the thread exits.
const Context& current_context_ref() noexcept;

}  // namespace honeyhive::detail
