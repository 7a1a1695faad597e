#include "export/span_groups.hpp"

namespace honeyhive::detail {

std::vector<ResourceGroup> group_spans(const std::vector<SpanDataPtr>& spans) {
  std::vector<ResourceGroup> groups;
  for (const auto& span : spans) {
    if (!span) continue;
    ResourceGroup* resource_group = nullptr;
    for (auto& group : groups) {
      if (group.resource == span->resource.get()) resource_group = &group;
    }
    if (resource_group == nullptr) resource_group = &groups.emplace_back(ResourceGroup{span->resource.get(), {}});
    ScopeGroup* scope_group = nullptr;
    for (auto& group : resource_group->scopes) {
      if (group.scope == span->scope.get()) scope_group = &group;
    }
    if (scope_group == nullptr) scope_group = &resource_group->scopes.emplace_back(ScopeGroup{span->scope.get(), {}});
    scope_group->spans.push_back(span.get());
  }
  return groups;
}

}  // namespace honeyhive::detail
