#pragma once

// Text from outside made safe to show as part of one line (internal): diagnostics and the
// configuration report carry a backend's error message, environment values, header names, and a
// newline, a carriage return, a terminal escape, a bidirectional override or invisible characters in
// them must not forge, reorder or hide lines.
#include <string>
#include <string_view>

namespace honeyhive::detail {

// What append_printable does with a backslash: doubles it (diagnostic lines: an escape is then never
// mistaken for text) or keeps it (the configuration report: Windows paths and the JSON of structured
// values read as they are; a line still cannot be forged, as no control character passes).
enum class Backslash : bool { doubled, kept };

// Appends `text` to `line`: ASCII control characters become \n, \r, \t or \xNN; invalid UTF-8 is
// repaired (U+FFFD); the characters that would break, reorder or hide a line where it is shown
// become \uNNNN (\UNNNNNNNN beyond U+FFFF): the C1 controls (U+0080-U+009F), the bidirectional
// controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), the line and paragraph separators
// (U+2028, U+2029), invisible format characters (U+00AD, U+034F, U+180E, U+200B, U+2060-U+2064,
// U+206A-U+206F, U+FEFF, U+FFF9-U+FFFB, the tags U+E0001 and U+E0020-U+E007F, which can carry
// invisible ASCII) and letters that show as blank (the Hangul fillers U+115F, U+1160, U+3164,
// U+FFA0; the Khmer U+17B4, U+17B5). Joiners (U+200C, U+200D), which emoji and several scripts
// need, stay. On an exception (std::bad_alloc)
// `line` is as it was.
void append_printable(std::string& line, std::string_view text, Backslash backslash = Backslash::doubled);

}  // namespace honeyhive::detail
