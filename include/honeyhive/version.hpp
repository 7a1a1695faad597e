#pragma once

// The library's version, as released.
namespace honeyhive {
inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kSdkName = "honeyhive-cpp";
}  // namespace honeyhive
