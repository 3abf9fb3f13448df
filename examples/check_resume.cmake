cmake_minimum_required(VERSION 3.25)
# A run stopped and resumed in a new process must give bit-identical losses to an unbroken one:
# runs PROGRAM for EPOCHS epochs in one go, and in another folder stops it after one epoch
# (--stop-after 1) and resumes it in a new process, then compares every metrics.csv under
# checkpoints/ (all columns but the timing).
#   cmake -DPROGRAM=<exe> -DOUT=<dir> -DEPOCHS=2 "-DARGS=--quick" -P check_resume.cmake
file(REMOVE_RECURSE ${OUT})
foreach(run IN ITEMS "whole:" "split:--stop-after;1" "split:--resume")
  string(REPLACE ":" ";" run "${run}")
  list(POP_FRONT run folder)
  execute_process(COMMAND ${PROGRAM} --out ${OUT}/${folder} --epochs ${EPOCHS} ${ARGS} ${run}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} --epochs ${EPOCHS} ${run} exited with ${rc}:\n${out}\n${err}")
  endif()
endforeach()
file(GLOB_RECURSE whole_files RELATIVE ${OUT}/whole ${OUT}/whole/checkpoints/*/metrics.csv)
if(NOT whole_files)
  message(FATAL_ERROR "no checkpoints/*/metrics.csv under ${OUT}/whole")
endif()
foreach(f IN LISTS whole_files)
  foreach(folder whole split)
    file(STRINGS ${OUT}/${folder}/${f} lines)
    set(rows "")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE ",[^,]*$" "" line "${line}")  # drop the seconds column
      list(APPEND rows "${line}")
    endforeach()
    set(${folder}_rows "${rows}")
  endforeach()
  if(NOT whole_rows STREQUAL split_rows)
    message(FATAL_ERROR "${f} differs after resuming:\nunbroken: ${whole_rows}\nresumed:  ${split_rows}")
  endif()
  message(STATUS "identical after resume: ${f}")
endforeach()
