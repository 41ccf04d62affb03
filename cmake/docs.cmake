# The reference site: `cmake --build <dir> --target docs` (what `make docs` runs) and
# the test docs.site_builds_and_links_resolve, which build it the same way, through
# cmake/build_docs.cmake: the command line's --help pages, Doxygen with warnings as
# errors, then every link and image of the site checked.
find_program(TAPEGRAD_DOXYGEN doxygen)
find_program(TAPEGRAD_DOT dot)
if(NOT TAPEGRAD_DOXYGEN)
  message(STATUS "doxygen not found (apt-get install doxygen): no docs target, and the docs are not tested")
  return()
endif()

set(TAPEGRAD_DOCS_DIR "${PROJECT_BINARY_DIR}/docs")
if(TAPEGRAD_DOT)
  set(TAPEGRAD_DOCS_HAVE_DOT YES)
  cmake_path(GET TAPEGRAD_DOT PARENT_PATH TAPEGRAD_DOCS_DOT_DIR)
else()
  set(TAPEGRAD_DOCS_HAVE_DOT NO)
  set(TAPEGRAD_DOCS_DOT_DIR "")
  message(STATUS "Graphviz's dot not found (apt-get install graphviz): the docs are built without class and include graphs")
endif()
configure_file(docs/Doxyfile.in "${TAPEGRAD_DOCS_DIR}/Doxyfile" @ONLY)

add_executable(tapegrad_check_links tests/docs/check_links.cpp)
tapegrad_warnings(tapegrad_check_links)

set(build_docs_command
    "${CMAKE_COMMAND}" "-DTAPEGRAD=$<TARGET_FILE:tapegrad_cli>" "-DDOXYGEN=${TAPEGRAD_DOXYGEN}"
    "-DCHECK_LINKS=$<TARGET_FILE:tapegrad_check_links>" "-DDOCS_DIR=${TAPEGRAD_DOCS_DIR}"
    -P "${PROJECT_SOURCE_DIR}/cmake/build_docs.cmake")
add_custom_target(docs
  COMMAND ${build_docs_command}
  COMMAND "${CMAKE_COMMAND}" -E echo "The site is ${TAPEGRAD_DOCS_DIR}/html/index.html (open it in a browser)."
  DEPENDS tapegrad_cli tapegrad_check_links
  VERBATIM)
if(TAPEGRAD_BUILD_TESTS)
  add_test(NAME docs.site_builds_and_links_resolve COMMAND ${build_docs_command})
  set_tests_properties(docs.site_builds_and_links_resolve PROPERTIES TIMEOUT 120)
  # The link checker itself, on a small site with each kind of broken link.
  add_test(NAME docs.link_checker_finds_broken_links
           COMMAND "${PROJECT_SOURCE_DIR}/tests/docs/test_check_links.sh" "$<TARGET_FILE:tapegrad_check_links>"
                   "${CMAKE_CURRENT_BINARY_DIR}/check_links_test")
endif()
