#pragma once

// Text from outside made safe to show as part of one line (internal): diagnostics and the
// configuration report carry a backend's error message, environment values, header names, and a
// newline, a carriage return, a terminal escape or a bidirectional override in them must not forge,
// hide or rewrite lines.
#include <string>
#include <string_view>

namespace honeyhive::detail {

// Appends `text` to `line`: ASCII control characters become \n, \r, \t or \xNN, and a backslash
// \\ (so an escape is never mistaken for text); invalid UTF-8 is repaired (U+FFFD); the C1 controls
// (U+0080-U+009F), the bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E,
// U+2066-U+2069) and the line and paragraph separators (U+2028, U+2029) become \uNNNN. Repairs
// `line` as a whole: what it held before must be valid UTF-8. May throw std::bad_alloc.
void append_printable(std::string& line, std::string_view text);

}  // namespace honeyhive::detail
