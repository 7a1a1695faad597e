#!/usr/bin/env bash
# Checks every public header under include/honeyhive/:
#  1. it compiles on its own (and twice in one translation unit: it has an include guard), with
#     the project's warnings as errors, with the first compiler; the other compilers compile one
#     translation unit that includes every header twice (their warnings differ from GCC's; whether
#     a header is self-contained does not depend on the compiler, and a check per header and per
#     compiler cost minutes of the test command);
#  2. it includes only C++ standard headers, other public headers ("honeyhive/...", which must
#     exist), and nlohmann/json (<nlohmann/...>) -- nothing from src/, no other third party.
#
# Usage: check_headers.sh SOURCE_DIR [--cxx=COMPILER]... [--isystem=DIR]... [--jobs=N]
#   --cxx: compile with this compiler (repeatable; default g++; the first one checks each header)
#   --isystem: where third-party headers (nlohmann/json) live, when not on the default path
#   --jobs: headers compiled at once (default: the number of processors)
set -euo pipefail

if (($# < 1)); then
  sed -n '2,15p' "$0" >&2
  exit 2
fi
source_dir="$(cd "$1" && pwd)"
shift
compilers=()
system_includes=()
jobs="$(nproc 2>/dev/null || echo 2)"
for option in "$@"; do
  case "${option}" in
    --cxx=*) compilers+=("${option#*=}") ;;
    --isystem=*) system_includes+=(-isystem "${option#*=}") ;;
    --jobs=*) jobs="${option#*=}" ;;
    *)
      echo "unknown option: ${option}" >&2
      exit 2
      ;;
  esac
done
if ((${#compilers[@]} == 0)); then compilers=(g++); fi

include_dir="${source_dir}/include"
warnings=(-Wall -Wextra -Werror -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual)

# The C++17 standard library headers (the C compatibility headers only in their <cxxx> form).
std_headers=" algorithm any array atomic bitset cassert cctype cerrno cfenv cfloat charconv chrono cinttypes
  climits clocale cmath codecvt complex condition_variable csetjmp csignal cstdarg cstddef cstdint cstdio cstdlib
  cstring ctime cuchar cwchar cwctype deque exception execution filesystem forward_list fstream functional future
  initializer_list iomanip ios iosfwd iostream istream iterator limits list locale map memory memory_resource
  mutex new numeric optional ostream queue random ratio regex scoped_allocator set shared_mutex sstream stack
  stdexcept streambuf string string_view system_error thread tuple type_traits typeindex typeinfo unordered_map
  unordered_set utility valarray variant vector "
std_headers="$(echo "${std_headers}" | tr -s ' \n' '  ')"

mapfile -t headers < <(cd "${include_dir}" && find honeyhive -type f \( -name '*.hpp' -o -name '*.h' \) | LC_ALL=C sort)
if ((${#headers[@]} == 0)); then
  echo "FAIL: no headers found under ${include_dir}/honeyhive" >&2
  exit 1
fi

failures=0
report() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

for header in "${headers[@]}"; do
  # 2. The include policy, from the #include lines.
  while IFS= read -r line; do
    if [[ "${line}" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      target="${BASH_REMATCH[1]}"
      if [[ "${target}" != honeyhive/* ]]; then
        report "${header} includes \"${target}\": public headers may only include \"honeyhive/...\" headers (never src/)"
      elif [[ ! -f "${include_dir}/${target}" ]]; then
        report "${header} includes \"${target}\", which is not a public header in include/"
      fi
    elif [[ "${line}" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
      target="${BASH_REMATCH[1]}"
      if [[ "${target}" == nlohmann/* ]]; then
        :
      elif [[ "${target}" == */* || "${std_headers}" != *" ${target} "* ]]; then
        report "${header} includes <${target}>: only C++ standard headers and <nlohmann/...> are allowed"
      fi
    elif [[ "${line}" =~ ^[[:space:]]*#[[:space:]]*include ]]; then
      report "${header}: cannot check '${line}' (computed include)"
    fi
  done <"${include_dir}/${header}"

done

# 1. Self-containment and the include guard (the second inclusion must be a no-op): one compile per
# header with the first compiler, `jobs` at a time; each writes its diagnostics to its own log.
compile_twice() {
  local compiler="$1"
  shift
  local header
  for header in "$@"; do printf '#include "%s"\n#include "%s"\n' "${header}" "${header}"; done |
    "${compiler}" -std=c++17 -fsyntax-only "${warnings[@]}" -I "${include_dir}" "${system_includes[@]}" -x c++ -
}
logs="$(mktemp -d)"
trap 'rm -rf "${logs}"' EXIT
running=0
for index in "${!headers[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  (compile_twice "${compilers[0]}" "${headers[index]}" >"${logs}/${index}.log" 2>&1 || touch "${logs}/${index}.failed") &
  running=$((running + 1))
done
wait
for index in "${!headers[@]}"; do
  if [[ -e "${logs}/${index}.failed" ]]; then
    cat "${logs}/${index}.log" >&2
    report "${headers[index]} does not compile on its own with ${compilers[0]}"
  fi
done
# The other compilers: every header (twice) in one translation unit.
for compiler in "${compilers[@]:1}"; do
  if ! compile_twice "${compiler}" "${headers[@]}"; then
    report "the public headers do not compile together with ${compiler}"
  fi
done

if ((failures)); then
  echo "${failures} problem(s) in ${#headers[@]} public headers" >&2
  exit 1
fi
echo "all ${#headers[@]} public headers are self-contained and include only the standard library, honeyhive and nlohmann/json (each on its own with ${compilers[0]}; together with: ${compilers[*]:1})"
