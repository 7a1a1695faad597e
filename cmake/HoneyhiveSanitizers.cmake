# HONEYHIVE_SANITIZE=address -> ASan + UBSan; =undefined -> UBSan alone; =thread -> TSan. Applies to
# everything built here.
if(HONEYHIVE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(HONEYHIVE_SANITIZE STREQUAL "undefined")
  # UBSan alone: span records are recycled here (under ASan they are not, see span_record_pool.hpp).
  add_compile_options(-fsanitize=undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=undefined)
elseif(HONEYHIVE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT HONEYHIVE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "HONEYHIVE_SANITIZE must be '', 'address', 'undefined' or 'thread'")
endif()

if(HONEYHIVE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HONEYHIVE_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
