# The include check of the layering (cmake/layers.cmake): every #include "..." and
# #include <tapegrad/...> of every .hpp and .cpp of a layer's folders is resolved to the
# file it names and so to that file's layer, which must be the including file's own, one
# its layer USES, or one an exception names for that very file. Anything else stops
# configure, naming each offending line. Headers include each other by relative paths
# through one include directory, so this check, not the targets' links, is what keeps an
# upward include out.
#
# The top CMakeLists.txt runs tapegrad_check_layering() at every configure; the target
# tapegrad_layering runs this file again as a script (cmake -DSOURCE_DIR=... -P) whenever
# a scanned file changed, so that an include added since configure fails the build too.

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  cmake_minimum_required(VERSION 3.25)  # before the functions, which keep its policies
endif()

function(tapegrad_check_layering source_dir)
  foreach(layer IN LISTS TAPEGRAD_LAYERS)
    foreach(folder IN LISTS TAPEGRAD_LAYER_${layer}_FOLDERS)
      set(layer_of_${folder} ${layer})
    endforeach()
  endforeach()
  foreach(name IN LISTS TAPEGRAD_LAYER_EXCEPTIONS)
    foreach(file IN LISTS TAPEGRAD_LAYER_EXCEPTION_${name}_FILES)
      list(APPEND exceptions_of_${file} ${name})
    endforeach()
    set(used_${name} FALSE)
  endforeach()

  # A file added or removed re-runs configure at the next build, so that the build-time
  # check never depends on a file that is gone.
  set(configure_depends "")
  if(NOT CMAKE_SCRIPT_MODE_FILE)
    set(configure_depends CONFIGURE_DEPENDS)
  endif()
  set(scanned "")
  set(violations "")
  foreach(layer IN LISTS TAPEGRAD_LAYERS)
    set(allowed ${layer} ${TAPEGRAD_LAYER_${layer}_USES})
    string(JOIN ", " allowed_text itself ${TAPEGRAD_LAYER_${layer}_USES})
    set(globs "")
    foreach(folder IN LISTS TAPEGRAD_LAYER_${layer}_FOLDERS)
      list(APPEND globs "${source_dir}/${folder}/*.hpp" "${source_dir}/${folder}/*.cpp")
    endforeach()
    file(GLOB_RECURSE files ${configure_depends} RELATIVE "${source_dir}" ${globs})
    list(SORT files)
    foreach(file IN LISTS files)
      list(APPEND scanned "${source_dir}/${file}")
      file(STRINGS "${source_dir}/${file}" lines ENCODING UTF-8
           REGEX "^[ \t]*#[ \t]*include[ \t]*(\"|<tapegrad/)")
      cmake_path(GET file PARENT_PATH directory)
      foreach(line IN LISTS lines)
        if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*(\"([^\"]+)\"|<tapegrad/([^>]+)>)")
          continue()
        endif()
        set(written "${CMAKE_MATCH_1}")
        # As the compiler looks: a quoted name next to the including file first, then on
        # the include path, where only tapegrad/... is tapegrad's.
        if(NOT CMAKE_MATCH_2 STREQUAL "")
          set(quoted "${CMAKE_MATCH_2}")
          cmake_path(SET included NORMALIZE "${directory}/${quoted}")
          if(NOT EXISTS "${source_dir}/${included}")
            if(NOT quoted MATCHES "^tapegrad/(.+)")
              continue()
            endif()
            cmake_path(SET included NORMALIZE "${CMAKE_MATCH_1}")
          endif()
        else()
          cmake_path(SET included NORMALIZE "${CMAKE_MATCH_3}")
        endif()
        if(included MATCHES "^\\.\\./")
          continue()
        endif()

        set(included_layer "")
        set(parent "${included}")
        while(TRUE)
          cmake_path(GET parent PARENT_PATH parent)
          if(parent STREQUAL "")
            break()
          elseif(DEFINED layer_of_${parent})
            set(included_layer ${layer_of_${parent}})
            break()
          endif()
        endwhile()
        if(NOT included_layer STREQUAL "" AND included_layer IN_LIST allowed)
          continue()
        endif()

        set(excepted FALSE)
        foreach(name IN LISTS exceptions_of_${file})
          foreach(may IN LISTS TAPEGRAD_LAYER_EXCEPTION_${name}_MAY_INCLUDE)
            string(FIND "${included}" "${may}" at)
            if(included STREQUAL may OR (may MATCHES "/$" AND at EQUAL 0))
              set(excepted TRUE)
              set(used_${name} TRUE)
            endif()
          endforeach()
        endforeach()
        if(excepted)
          continue()
        endif()

        # Rare, so only now: the line number.
        file(READ "${source_dir}/${file}" content)
        string(FIND "${content}" "${line}" at)
        string(SUBSTRING "${content}" 0 ${at} before)
        string(REGEX MATCHALL "\n" newlines "${before}")
        list(LENGTH newlines line_number)
        math(EXPR line_number "${line_number} + 1")
        if(included_layer STREQUAL "")
          set(what "${included}, which is in no layer")
        else()
          set(what "${included}, layer ${included_layer}")
        endif()
        set(exceptions_text "")
        if(DEFINED exceptions_of_${file})
          string(JOIN ", " exceptions_text ${exceptions_of_${file}})
          set(exceptions_text " and what its exceptions allow (${exceptions_text})")
        endif()
        string(APPEND violations "  ${file}:${line_number} includes ${written} (${what}); "
                                 "layer ${layer} may include only ${allowed_text}${exceptions_text}\n")
      endforeach()
    endforeach()
  endforeach()

  if(NOT violations STREQUAL "")
    message(FATAL_ERROR
      "tapegrad's layering: a file includes a layer its own may not use.\n${violations}"
      "Who may include whom is the table in cmake/layers.cmake (in words: docs/architecture.md, "
      "\"Folders and what they may include\"). Include something of a lower layer instead, or move "
      "the code; if the dependency is right, add the layer to the including layer's USES there, or "
      "name a file-level exception with tapegrad_layer_exception(), and update the document.")
  endif()
  foreach(name IN LISTS TAPEGRAD_LAYER_EXCEPTIONS)
    if(NOT used_${name})
      message(WARNING "tapegrad's layering: the exception ${name} (cmake/layers.cmake) is no longer used; remove it "
                      "and its mention in docs/architecture.md")
    endif()
  endforeach()

  if(NOT CMAKE_SCRIPT_MODE_FILE)
    set(stamp "${PROJECT_BINARY_DIR}/layering.stamp")
    add_custom_command(
      OUTPUT "${stamp}"
      COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${source_dir}" -P "${source_dir}/cmake/layering.cmake"
      COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
      DEPENDS ${scanned} "${source_dir}/cmake/layers.cmake" "${source_dir}/cmake/layering.cmake"
      COMMENT "Checking the layering"
      VERBATIM)
    add_custom_target(tapegrad_layering DEPENDS "${stamp}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  include("${CMAKE_CURRENT_LIST_DIR}/layers.cmake")
  tapegrad_check_layering("${SOURCE_DIR}")
endif()
