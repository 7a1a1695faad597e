#pragma once

#include <memory>
#include <string>

namespace honeyhive {
class HoneyHiveTracer;
}

namespace honeyhive::detail {

// The process's live tracers by id, held weakly (the registry never keeps a tracer alive), and the
// default tracer. Leaked on purpose so that it works during static destruction. Thread-safe.
void register_tracer(const std::shared_ptr<HoneyHiveTracer>& tracer);
void unregister_tracer(const std::string& id) noexcept;

// A random UUID v4 in lowercase (session ids, tracer ids).
std::string make_uuid_v4();

}  // namespace honeyhive::detail
