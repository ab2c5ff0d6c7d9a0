# Corio's own code uses none of Asio's deprecated interfaces: its headers and sources compile
# (syntax only) with BOOST_ASIO_NO_DEPRECATED, as they are built with -DCORIO_ASIO_NO_DEPRECATED=ON.
#   -DCXX=<compiler> -DROOT=<source dir> "-DFLAGS=<include flags>"
separate_arguments(flags UNIX_COMMAND "${FLAGS}")
file(GLOB sources ${ROOT}/lib/src/*.cpp)
set(units ${ROOT}/lib/include/corio/corio.hpp ${sources})
set(failed "")
foreach(unit ${units})
  execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -x c++ ${flags} -DBOOST_ASIO_SEPARATE_COMPILATION
                          -DBOOST_ASIO_NO_DEPRECATED -DCORIO_ASIO_NO_DEPRECATED=1 ${unit}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc)
    list(APPEND failed "${unit}:\n${err}")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "does not compile without Asio's deprecated interfaces:\n${failed}")
endif()
list(LENGTH units n)
message(STATUS "${n} translation units compile with BOOST_ASIO_NO_DEPRECATED")
