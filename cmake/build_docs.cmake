# Builds the reference site into DOCS_DIR/html (run with cmake -P; cmake/docs.cmake
# passes TAPEGRAD, DOXYGEN, CHECK_LINKS and DOCS_DIR):
#  1. DOCS_DIR/cli.md from the program's own --help texts (`tapegrad --help`, every
#     subcommand's, and `tapegrad functions`), so the page cannot drift from the program;
#  2. Doxygen, from an empty html folder (no page of an earlier run survives), failing on
#     any warning, which it prints;
#  3. every internal link and image of the site resolved (CHECK_LINKS).
foreach(variable TAPEGRAD DOXYGEN CHECK_LINKS DOCS_DIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "build_docs.cmake: -D${variable}=… is missing")
  endif()
endforeach()

function(run_program output_variable)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    string(JOIN " " command ${ARGN})
    message(FATAL_ERROR "`${command}` failed (${status}):\n${out}${err}")
  endif()
  set(${output_variable} "${out}" PARENT_SCOPE)
endfunction()

# 1. The command-line page. Subcommand names are read from the top-level help's
#    "Subcommands:" list, so a new command appears here without an edit.
run_program(top_help "${TAPEGRAD}" --help)
string(REGEX REPLACE ".*\nSubcommands:\n" "" subcommand_lines "${top_help}")
string(REGEX MATCHALL "(^|\n)  [a-z][a-z_-]*" subcommands "${subcommand_lines}")
list(TRANSFORM subcommands STRIP)
if(NOT subcommands)
  message(FATAL_ERROR "build_docs.cmake: no subcommands found in `tapegrad --help`:\n${top_help}")
endif()
set(page "# The tapegrad command line {#cli}\n\n")
string(APPEND page "This page is generated at build time from the program itself: each section is the "
                   "exact output of the command in its title.\n\n")
string(APPEND page "## `tapegrad --help` {#cli_tapegrad}\n\n~~~~~~~~~~~~~{.txt}\n${top_help}~~~~~~~~~~~~~\n\n")
foreach(command IN LISTS subcommands)
  run_program(help "${TAPEGRAD}" ${command} --help)
  string(APPEND page "## `tapegrad ${command} --help` {#cli_${command}}\n\n~~~~~~~~~~~~~{.txt}\n${help}~~~~~~~~~~~~~\n\n")
endforeach()
run_program(functions "${TAPEGRAD}" functions)
string(APPEND page "## `tapegrad functions` {#cli_functions_list}\n\n"
                   "The functions an expression may call (the same ones as on Vars and tensors in C++).\n\n"
                   "~~~~~~~~~~~~~{.txt}\n${functions}~~~~~~~~~~~~~\n")
file(WRITE "${DOCS_DIR}/cli.md" "${page}")

# 2. Doxygen.
file(REMOVE_RECURSE "${DOCS_DIR}/html")
file(REMOVE "${DOCS_DIR}/warnings.log")
execute_process(COMMAND "${DOXYGEN}" "${DOCS_DIR}/Doxyfile" WORKING_DIRECTORY "${DOCS_DIR}"
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE status)
set(warnings "")
if(EXISTS "${DOCS_DIR}/warnings.log")
  file(READ "${DOCS_DIR}/warnings.log" warnings)
endif()
if(NOT status EQUAL 0 OR NOT warnings STREQUAL "")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E cat "${DOCS_DIR}/warnings.log")
  message(FATAL_ERROR "Doxygen failed (exit ${status}): every warning is an error. ${err}")
endif()

# 3. The links.
run_program(report "${CHECK_LINKS}" "${DOCS_DIR}/html")
message(STATUS "${report}")
