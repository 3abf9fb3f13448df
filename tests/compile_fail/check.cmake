# Compiles SOURCE and passes only if the compiler REJECTS it with a message
# matching the `// expect: <regex>` line of the source: a misused policy must
# give a short, readable error, and this keeps that promise tested.
file(STRINGS ${SOURCE} expect_line REGEX "^// expect: ")
string(REGEX REPLACE "^// expect: " "" expected "${expect_line}")
if(expected STREQUAL "")
  message(FATAL_ERROR "${SOURCE} has no '// expect: <regex>' line")
endif()
separate_arguments(include_flags UNIX_COMMAND "${INCLUDES}")
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -fopenmp ${include_flags} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
if(NOT err MATCHES "${expected}")
  message(FATAL_ERROR "${SOURCE} failed to compile, but without a message matching '${expected}':\n${err}")
endif()
message(STATUS "rejected as expected: ${expected}")
