#pragma once

// The library's version, as released (the same as CMakeLists.txt's project version).
namespace honeyhive {
inline constexpr const char* kVersion = "0.3.0";
inline constexpr const char* kSdkName = "honeyhive-cpp";
}  // namespace honeyhive
