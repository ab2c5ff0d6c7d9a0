# cmake -DROOT=<source dir> -P no_detail_includes.cmake
#
# corio/detail/ is the library's inside: only lib/ may include it. Scans every C++ source and header
# in apps/, test/ and perf/ for an #include of <corio/detail/...> or "corio/detail/..." and fails
# listing each one as path:line.
cmake_minimum_required(VERSION 3.25)

if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<corio source dir> -P no_detail_includes.cmake")
endif()

set(_patterns "")
foreach(dir apps test perf)
  foreach(ext cpp hpp h cc cxx hh ipp)
    list(APPEND _patterns "${ROOT}/${dir}/*.${ext}")
  endforeach()
endforeach()
file(GLOB_RECURSE _files LIST_DIRECTORIES false ${_patterns})
list(SORT _files)
list(LENGTH _files _count)
# A wrong ROOT would find nothing and pass: there are well over 50 sources in these directories.
if(_count LESS 50)
  message(FATAL_ERROR "found only ${_count} source files under ${ROOT}/{apps,test,perf}: wrong ROOT?")
endif()

set(_include_re "^[ \t]*#[ \t]*include[ \t]*[<\"]corio/detail/")
set(_offenders "")
foreach(file IN LISTS _files)
  file(STRINGS "${file}" _hits REGEX "${_include_re}" ENCODING UTF-8)
  if(NOT _hits)
    continue()
  endif()
  # Line numbers: each hit's line is found in the text after the previous one's.
  file(RELATIVE_PATH _rel "${ROOT}" "${file}")
  file(READ "${file}" _rest)
  set(_line 1)
  foreach(_hit IN LISTS _hits)
    string(FIND "${_rest}" "${_hit}" _pos)
    string(SUBSTRING "${_rest}" 0 ${_pos} _before)
    string(REGEX REPLACE "[^\n]" "" _newlines "${_before}")
    string(LENGTH "${_newlines}" _k)
    math(EXPR _line "${_line} + ${_k}")
    string(STRIP "${_hit}" _text)
    list(APPEND _offenders "  ${_rel}:${_line}: ${_text}")
    string(LENGTH "${_hit}" _k)
    math(EXPR _pos "${_pos} + ${_k}")
    string(SUBSTRING "${_rest}" ${_pos} -1 _rest)
  endforeach()
endforeach()

if(_offenders)
  list(LENGTH _offenders _n)
  list(JOIN _offenders "\n" _text)
  message(FATAL_ERROR "${_n} include(s) of corio/detail/ outside lib/ (use the public headers; "
    "what an app or test needs from the inside belongs in the public API):\n${_text}")
endif()
message(STATUS "no include of corio/detail/ in ${_count} files under apps/, test/ and perf/")
