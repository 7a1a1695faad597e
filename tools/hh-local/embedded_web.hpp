#pragma once

// The web UI files (tools/hh-local/web/*.html, *.css, *.js) compiled into hh-local by
// embed_web.cmake.
#include <cstddef>

namespace honeyhive::hhlocal {

struct EmbeddedFile {
  const char* name;  // file name, e.g. "index.html"
  const char* content_type;
  const unsigned char* data;
  std::size_t size;
};

// The embedded files, ended by an entry whose name is null.
const EmbeddedFile* embedded_web_files() noexcept;

}  // namespace honeyhive::hhlocal
