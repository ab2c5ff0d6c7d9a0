# Compiles SOURCE (-fsyntax-only) with the given include flags (and those on its "// flags: "
# line); passes only if the compiler rejects it with the message on its "// expect: " line.
file(STRINGS ${SOURCE} expect_line REGEX "^// expect: " LIMIT_COUNT 1)
string(REGEX REPLACE "^// expect: " "" expected "${expect_line}")
file(STRINGS ${SOURCE} flags_line REGEX "^// flags: " LIMIT_COUNT 1)
string(REGEX REPLACE "^// flags: " "" extra_flags "${flags_line}")
separate_arguments(flags UNIX_COMMAND "${FLAGS} ${extra_flags}")
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only ${flags} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must be rejected")
endif()
string(FIND "${err}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE} was rejected without the expected message '${expected}':\n${err}")
endif()
message(STATUS "rejected as expected: ${expected}")
