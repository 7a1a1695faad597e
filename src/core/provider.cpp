#include "honeyhive/core/provider.hpp"

#include "core/deadline.hpp"
#include "honeyhive/core/diagnostics.hpp"
#include "honeyhive/core/tracer.hpp"

namespace honeyhive {

Provider::Provider(ProviderOptions options)
    : resource_(std::make_shared<const Resource>(std::move(options.resource))),
      sampler_(options.sampler ? std::move(options.sampler) : sampler_from_env()),
      limits_(options.limits),
      processors_(std::move(options.processors)),
      content_(options.content.mask || !options.content.record_content
                   ? std::make_shared<const ContentPolicy>(std::move(options.content))
                   : nullptr) {
  processors_.erase(std::remove(processors_.begin(), processors_.end(), nullptr), processors_.end());
}

std::shared_ptr<Provider> Provider::create(ProviderOptions options) noexcept {
  try {
    return std::shared_ptr<Provider>(new Provider(std::move(options)));  // private constructor
  } catch (...) {
    report_diagnostic(DiagnosticLevel::error, "could not create a provider (out of memory)");
    return nullptr;
  }
}

Provider::~Provider() { shutdown(std::chrono::milliseconds(1000)); }

std::shared_ptr<Tracer> Provider::get_tracer(std::string scope_name, std::string scope_version) noexcept {
  try {
    std::lock_guard<std::mutex> lock(tracers_mutex_);
    tracers_.erase(std::remove_if(tracers_.begin(), tracers_.end(), [](const auto& weak) { return weak.expired(); }),
                   tracers_.end());
    for (const auto& weak : tracers_) {
      auto tracer = weak.lock();
      if (tracer && tracer->scope().name == scope_name && tracer->scope().version == scope_version) return tracer;
    }
    auto scope = std::make_shared<const InstrumentationScope>(
        InstrumentationScope{std::move(scope_name), std::move(scope_version)});
    auto tracer = std::make_shared<Tracer>(shared_from_this(), std::move(scope));
    tracers_.push_back(tracer);
    return tracer;
  } catch (...) {
    report_diagnostic(DiagnosticLevel::error, "get_tracer failed (out of memory)");
    return nullptr;
  }
}

bool Provider::force_flush(std::chrono::milliseconds timeout) noexcept {
  const auto deadline = detail::deadline_after(timeout);
  bool all = true;
  for (const auto& processor : processors_) all = processor->force_flush(detail::time_left(deadline)) && all;
  return all;
}

bool Provider::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (shut_down_.exchange(true, std::memory_order_acq_rel)) return true;
  const auto deadline = detail::deadline_after(timeout);
  bool all = true;
  for (const auto& processor : processors_) all = processor->shutdown(detail::time_left(deadline)) && all;
  return all;
}

}  // namespace honeyhive
