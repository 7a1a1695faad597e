# Warnings for the targets this project owns (never for dependencies).
function(honeyhive_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
  if(HONEYHIVE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
