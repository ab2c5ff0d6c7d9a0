# Runs one libFuzzer target for SECONDS from a scratch copy of its seed corpus, with its dictionary
# DICT (new inputs it finds stay in the build directory). A crash, leak, timeout or sanitizer
# report fails the test; the reproducer is left in WORK/ (run the target on it to see the report
# again). The options are scripts/fuzz.sh's, plus -entropic_feature_frequency_threshold=16: while a
# run is young every feature counts as rare (seen < 255 times, the default), and libFuzzer searches
# that list linearly for each feature an execution reaches; with ~29,000 features
# (fuzz_serve_connection) that search took a third of a short run. Longer runs catch up: after
# four minutes both settings run at the same rate, so scripts/fuzz.sh keeps the default.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus)
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=20 -rss_limit_mb=2048 -max_len=131072
          -entropic_feature_frequency_threshold=16 -dict=${DICT}
          -print_final_stats=1 -artifact_prefix=${WORK}/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); reproducer in ${WORK}/")
endif()
