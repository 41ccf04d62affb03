# The layering check (cmake/layering.cmake) can fail: in a copy of the source tree, an
# include a layer may not use stops configure with the check's message naming the file
# and line. Configure only, so each step takes seconds.
#
#   cmake -DSOURCE_DIR=<tree> -DWORK_DIR=<scratch> [-DGENERATOR=<name>] [-DCXX=<compiler>]
#         -P layering_test.cmake
#     copies the tree into WORK_DIR (the top-level files, cmake/ and the folders of the
#     layers in cmake/layers.cmake: nothing of build/ or .git) and configures the copy
#     unchanged, which must succeed;
#   the same with -DFILE=<path in the tree> -DINCLUDE=<name>
#     appends `#include "<name>"` to that file of the copy and configures again, which
#     must fail naming FILE:line; the file is restored either way;
#   and with -DAFTER_CONFIGURE=ON
#     configures first and appends the include afterwards: building the target
#     tapegrad_layering must then fail the same way, as an edit made since configure.
cmake_minimum_required(VERSION 3.25)
foreach(variable SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "layering_test.cmake: -D${variable}=… is missing")
  endif()
endforeach()
set(copy "${WORK_DIR}/source")
set(build "${WORK_DIR}/build")

function(configure_copy status_variable output_variable)
  set(arguments -S "${copy}" -B "${build}")
  if(GENERATOR)
    list(APPEND arguments -G "${GENERATOR}")
  endif()
  if(CXX)
    list(APPEND arguments "-DCMAKE_CXX_COMPILER=${CXX}")
  endif()
  # Only the library's targets: the check runs before any of them is defined.
  execute_process(
    COMMAND "${CMAKE_COMMAND}" ${arguments} -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF
            -DTAPEGRAD_BUILD_CLI=OFF -DTAPEGRAD_BUILD_DOCS=OFF -DTAPEGRAD_BUILD_BENCHMARKS=OFF
            -DTAPEGRAD_BUILD_FUZZERS=OFF -DTAPEGRAD_MPI=OFF
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
  set(${status_variable} "${status}" PARENT_SCOPE)
  set(${output_variable} "${out}${err}" PARENT_SCOPE)
endfunction()

if(NOT DEFINED FILE)
  file(REMOVE_RECURSE "${WORK_DIR}")
  file(MAKE_DIRECTORY "${copy}")
  include("${SOURCE_DIR}/cmake/layers.cmake")
  set(folders cmake)
  foreach(layer IN LISTS TAPEGRAD_LAYERS)
    foreach(folder IN LISTS TAPEGRAD_LAYER_${layer}_FOLDERS)
      string(REGEX REPLACE "/.*" "" top "${folder}")
      list(APPEND folders ${top})
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES folders)
  list(TRANSFORM folders PREPEND "${SOURCE_DIR}/")
  file(GLOB top_files LIST_DIRECTORIES false "${SOURCE_DIR}/*")
  file(COPY ${top_files} ${folders} DESTINATION "${copy}")
  configure_copy(status output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "The unchanged copy of the source tree failed to configure (${status}):\n${output}")
  endif()
  message(STATUS "The unchanged copy configures.")
  return()
endif()

if(NOT DEFINED INCLUDE)
  message(FATAL_ERROR "layering_test.cmake: -DINCLUDE=… is missing")
endif()
set(path "${copy}/${FILE}")
if(NOT EXISTS "${path}")
  message(FATAL_ERROR "${FILE} is not in the copy ${copy}")
endif()
file(READ "${path}" content)
if(NOT content MATCHES "\n$")
  string(APPEND content "\n")
endif()
string(REGEX MATCHALL "\n" newlines "${content}")
list(LENGTH newlines lines)
math(EXPR line "${lines} + 1")
set(step "Configure")
if(AFTER_CONFIGURE)
  set(step "The build")
  configure_copy(status output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "The unchanged copy failed to configure (${status}):\n${output}")
  endif()
endif()
file(COPY_FILE "${path}" "${path}.unchanged")
file(WRITE "${path}" "${content}#include \"${INCLUDE}\"\n")
if(AFTER_CONFIGURE)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --target tapegrad_layering
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
  set(output "${out}${err}")
else()
  configure_copy(status output)
endif()
file(RENAME "${path}.unchanged" "${path}")

set(expected "${FILE}:${line} includes \"${INCLUDE}\"")
if(status EQUAL 0)
  message(FATAL_ERROR "${step} succeeded although ${FILE} includes \"${INCLUDE}\":\n${output}")
endif()
string(FIND "${output}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${step} failed, but its message does not name `${expected}`:\n${output}")
endif()
message(STATUS "${step} failed as it should:\n${output}")
