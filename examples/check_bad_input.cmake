cmake_minimum_required(VERSION 3.25)
# A bad input must end an example with status 1 and a message naming it, never an abort or a signal.
#   cmake -DPROGRAM=<exe> "-DARGS=--epochs;abc" -DEXPECT=<regex> -P check_bad_input.cmake
execute_process(COMMAND ${PROGRAM} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: exit status '${rc}', wanted 1\n${out}\n${err}")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: stderr does not match '${EXPECT}':\n${err}")
endif()
message(STATUS "refused as expected: ${err}")
