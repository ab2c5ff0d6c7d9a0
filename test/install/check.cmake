# Builds the consumer project in test/install/consumer one way (MODE: package, subdirectory or
# fetchcontent) and runs what it built. `package` first installs Corio from BUILD_DIR into a
# scratch prefix.
set(work ${WORK_DIR}/${MODE})
file(REMOVE_RECURSE ${work})
set(args -DCORIO_CONSUME=${MODE} -DCORIO_SOURCE_DIR=${CORIO_SOURCE_DIR})
if(MODE STREQUAL "package")
  set(prefix ${work}/prefix)
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component Unspecified
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "install failed: ${rc}")
  endif()
  list(APPEND args -DCMAKE_PREFIX_PATH=${prefix})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${work}/build -G Ninja ${args}
                -DCMAKE_BUILD_TYPE=${BUILD_TYPE} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
                "-DCMAKE_EXE_LINKER_FLAGS=${CXX_FLAGS}" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer (${MODE}) failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${work}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer (${MODE}) failed: ${rc}")
endif()

function(expect program expected)
  execute_process(COMMAND ${work}/build/${program} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(rc OR NOT out STREQUAL "${expected}\n")
    message(FATAL_ERROR "${program} (${MODE}) printed '${out}' (exit ${rc}), expected '${expected}'")
  endif()
  message(STATUS "${program} (${MODE}): ${out}")
endfunction()
expect(consumer "consumer says 42")
expect(old_style "old-style consumer: 15 handlers on the io_service's threads, sum 15")
if(MODE STREQUAL "package")
  expect(http_consumer "http://example.com/b?q")
endif()
