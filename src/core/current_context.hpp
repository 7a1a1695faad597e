#pragma once

// This thread's current context without a copy (internal; src/core/context.cpp).
#include <memory>
#include <vector>

#include "honeyhive/core/context.hpp"
#include "honeyhive/core/span.hpp"

namespace honeyhive::detail {

// The context Context::current() copies. The reference stays that context until the scope that
// attached it ends, whatever scopes are attached or ended above or below it meanwhile on this
// thread (see ContextStack in context.cpp): a span start may hand it to processors that attach and
// end scopes of their own. Once its scope has ended, it shows an empty context or one attached
// later, never a destroyed one; it must not be used after the thread exits.
const Context& current_context_ref() noexcept;

struct ScopeBuilder {
  // Attaches parent.with_span(span) to this thread, its baggage `baggage` instead of the parent's
  // when that is not null (parent.with_span(span).with_shared_baggage(baggage)): built in its place
  // on the thread's stack, with no temporary context to copy, move and destroy. `parent` may be a
  // context attached on this thread (entries never move). As Scope(Context&&) otherwise: nothing is
  // attached once the thread's stack is gone, or when memory runs out (reported).
  static Scope attach_span(const Context& parent, const SpanRef& span,
                           std::shared_ptr<const std::vector<BaggageEntry>> baggage) noexcept;
};

}  // namespace honeyhive::detail
