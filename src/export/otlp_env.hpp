#pragma once

// The OTLP exporter's environment variables, for a caller that chooses the endpoint and protocol
// itself (internal; src/export/otlp_http_exporter.cpp).
#include "honeyhive/export/otlp_http_exporter.hpp"

namespace honeyhive::detail {

// OtlpHttpExporterOptions::from_env() without OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT and _PROTOCOL:
// headers, timeout and compression only, with their diagnostics. For the HoneyHiveTracer, whose
// resolved configuration decides (and reports on) the endpoint and protocol: reading them here too
// would report a bad value twice, naming a fallback the tracer does not use.
OtlpHttpExporterOptions otlp_transport_options_from_env() noexcept;

}  // namespace honeyhive::detail
