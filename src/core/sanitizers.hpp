#pragma once

// Which sanitizer this translation unit is built with (internal): GCC defines __SANITIZE_*__,
// Clang answers __has_feature. The library turns span record recycling off under AddressSanitizer;
// the tests shorten or skip what a sanitizer cannot run.

// __has_feature where the compiler has it (Clang; GCC from 14), else 0.
#if defined(__has_feature)
#define HONEYHIVE_HAS_FEATURE(feature) __has_feature(feature)
#else
#define HONEYHIVE_HAS_FEATURE(feature) 0
#endif

namespace honeyhive::detail {

#if defined(__SANITIZE_ADDRESS__) || HONEYHIVE_HAS_FEATURE(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__) || HONEYHIVE_HAS_FEATURE(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace honeyhive::detail
