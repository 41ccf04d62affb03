# The layers and who may include whom. This table is the only statement of the rule:
# tapegrad_add_layer() links each layer's target to the layers it uses, and the
# configure-time include check (cmake/layering.cmake) reads the same lists, so the two
# cannot disagree. docs/architecture.md ("Folders and what they may include") says the
# same in words and must be changed with it.
#
# tapegrad_layer(<layer> <folders...> [USES <layers...>])
#   A file of the layer may include files of its own layer and of the layers it USES,
#   nothing else of tapegrad: not what those layers use in turn, so each row names every
#   layer its files include. A layer may use only layers declared before it, which keeps
#   the graph free of cycles and the static libraries in a linkable order.
#
# tapegrad_layer_exception(<name> FILES <files...> MAY_INCLUDE <files or folders/...>)
#   Lets the named files (not their whole layer) include the named files or folders
#   (a trailing / means everything under it). Each exception is documented in
#   docs/architecture.md. A file's layer also links the layer an exception reaches when
#   that layer is declared before it, since the file may call its compiled code; an
#   exception reaching a later layer (the tape's finite-value checks, header-only) links
#   nothing, since that link would close a cycle.
#
# Paths are relative to the source tree. tapegrad.hpp and autodiff/autodiff.hpp, the
# umbrella headers, belong to no layer: no layer includes them.

set(TAPEGRAD_LAYERS "")
set(TAPEGRAD_LAYER_EXCEPTIONS "")

function(tapegrad_layer layer)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "USES")
  if(NOT ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cmake/layers.cmake: layer ${layer} has no folder")
  endif()
  foreach(used IN LISTS ARG_USES)
    if(NOT used IN_LIST TAPEGRAD_LAYERS)
      message(FATAL_ERROR "cmake/layers.cmake: layer ${layer} uses ${used}, which is not a layer declared before it")
    endif()
  endforeach()
  set(TAPEGRAD_LAYERS ${TAPEGRAD_LAYERS} ${layer} PARENT_SCOPE)
  set(TAPEGRAD_LAYER_${layer}_FOLDERS ${ARG_UNPARSED_ARGUMENTS} PARENT_SCOPE)
  set(TAPEGRAD_LAYER_${layer}_USES ${ARG_USES} PARENT_SCOPE)
endfunction()

function(tapegrad_layer_exception name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "FILES;MAY_INCLUDE")
  if(NOT ARG_FILES OR NOT ARG_MAY_INCLUDE OR ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cmake/layers.cmake: exception ${name} needs FILES and MAY_INCLUDE, and nothing else")
  endif()
  set(TAPEGRAD_LAYER_EXCEPTIONS ${TAPEGRAD_LAYER_EXCEPTIONS} ${name} PARENT_SCOPE)
  set(TAPEGRAD_LAYER_EXCEPTION_${name}_FILES ${ARG_FILES} PARENT_SCOPE)
  set(TAPEGRAD_LAYER_EXCEPTION_${name}_MAY_INCLUDE ${ARG_MAY_INCLUDE} PARENT_SCOPE)
endfunction()

# Lowest first.
tapegrad_layer(support  autodiff/support)
tapegrad_layer(scalar   autodiff/scalar   USES support)
tapegrad_layer(tensor   autodiff/tensor   USES support scalar)
tapegrad_layer(check    autodiff/check    USES support scalar tensor)
tapegrad_layer(replay   autodiff/replay   USES support scalar)
tapegrad_layer(cost     autodiff/cost     USES support scalar replay)
tapegrad_layer(parallel autodiff/parallel USES support scalar tensor)
tapegrad_layer(sparse   autodiff/sparse   USES support scalar tensor replay)
tapegrad_layer(memory   autodiff/memory   USES support scalar)
set(tapegrad_autodiff_layers support scalar tensor check replay cost parallel sparse memory)
tapegrad_layer(optim    optim             USES ${tapegrad_autodiff_layers})
tapegrad_layer(plot     plot              USES support)
tapegrad_layer(models   models            USES ${tapegrad_autodiff_layers} optim)
tapegrad_layer(cli      cli               USES ${tapegrad_autodiff_layers} optim plot models)

# check_finite mode: Var assignment and the sweep run the finite-value checks, which the
# tensors reach through them. finite_backward.hpp includes only support/ and
# tensor_adjoints.hpp (below the tape), finite_forward.hpp only support/, the tape and
# the expression types (below Var), so there is no cycle.
tapegrad_layer_exception(finite_checks_in_the_tape
  FILES autodiff/scalar/tape.hpp autodiff/scalar/var.hpp
  MAY_INCLUDE autodiff/check/finite_backward.hpp autodiff/check/finite_forward.hpp)
# History::to_svg draws the loss curves with plot/'s SVG pieces instead of a copy of them.
# An expression's C++ type is known only where it is recorded (Var's assignment, a
# comparison), so that is where the replay engine's kernels for it are instantiated;
# the tape itself sees only the virtual RecordingObserver (scalar/recording_observer.hpp).
tapegrad_layer_exception(expressions_name_their_replay_kernels
  FILES autodiff/scalar/var.hpp autodiff/scalar/math.hpp
  MAY_INCLUDE autodiff/replay/detail/statement_type.hpp)
tapegrad_layer_exception(loss_curves_drawn_with_plot
  FILES models/history.cpp
  MAY_INCLUDE plot/svg.hpp)
# PathRecorder records a minimize() run on the scalar tape for the path charts.
tapegrad_layer_exception(path_recorder_runs_minimize
  FILES plot/path_recorder.hpp
  MAY_INCLUDE optim/ autodiff/scalar/)

# tapegrad_add_layer(<layer> [TARGET <name>] [SOURCES <files...>])
#   The layer's library: STATIC when it has sources, INTERFACE when header-only (named
#   tapegrad_<layer>, exported as tapegrad::<layer>, unless TARGET names it otherwise),
#   linked to the layers it uses. What every program built against tapegrad must agree
#   on (the include path, C++20, Eigen's layout) is set on every layer, so that no link
#   to a single base target is needed for a program to get it. Lower layers first.
function(tapegrad_add_layer layer)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "TARGET" "SOURCES")
  if(NOT layer IN_LIST TAPEGRAD_LAYERS)
    message(FATAL_ERROR "tapegrad_add_layer: ${layer} is not a layer of cmake/layers.cmake")
  endif()
  set(target tapegrad_${layer})
  if(ARG_TARGET)
    set(target ${ARG_TARGET})
  endif()
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    set(scope PUBLIC)
    tapegrad_warnings(${target})
    # An include added since configure fails the build, not only the next configure.
    add_dependencies(${target} tapegrad_layering)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  if(NOT ARG_TARGET)
    add_library(tapegrad::${layer} ALIAS ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${layer})
  endif()
  set_property(GLOBAL PROPERTY TAPEGRAD_LAYER_TARGET_${layer} ${target})

  # In the build tree, <tapegrad/...> resolves to the source tree (the top CMakeLists.txt
  # links it there), exactly as it resolves to include/tapegrad/... once installed.
  target_include_directories(${target} ${scope}
    "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>"
    "$<INSTALL_INTERFACE:include>")
  target_compile_features(${target} ${scope} cxx_std_20)
  # Eigen's allocation and layout depend on the instruction set it is compiled for: with
  # SSE only, a matrix's memory comes from malloc and goes back to free; with AVX, Eigen
  # over-allocates, aligns by hand and frees through a pointer stored before the data. A
  # Dataset made in the library and freed by a program compiled with other -m flags was
  # freed the wrong way (a crash). So the portable build makes every program that uses it
  # allocate Eigen's way whatever its flags (EIGEN_MALLOC_ALREADY_ALIGNED=0: the stored
  # pointer, which frees correctly whatever alignment allocated it) and caps the
  # alignment of fixed-size members at the 16 bytes it was compiled with, so that struct
  # layouts agree (EIGEN_MAX_ALIGN_BYTES=16; AVX code still vectorizes, with unaligned
  # loads). The -march=native build is for this project's own benchmarks and demo, one
  # build with one set of flags, and installing it is refused (cmake/install.cmake).
  if(TAPEGRAD_NATIVE)
    target_compile_options(${target} ${scope} "$<BUILD_INTERFACE:-march=native>")
  else()
    target_compile_definitions(${target} ${scope} EIGEN_MALLOC_ALREADY_ALIGNED=0 EIGEN_MAX_ALIGN_BYTES=16)
  endif()

  list(FIND TAPEGRAD_LAYERS ${layer} own_index)
  set(links ${TAPEGRAD_LAYER_${layer}_USES})
  foreach(name IN LISTS TAPEGRAD_LAYER_EXCEPTIONS)
    foreach(file IN LISTS TAPEGRAD_LAYER_EXCEPTION_${name}_FILES)
      tapegrad_layer_of("${file}" file_layer)
      if(NOT file_layer STREQUAL layer)
        continue()
      endif()
      foreach(reached IN LISTS TAPEGRAD_LAYER_EXCEPTION_${name}_MAY_INCLUDE)
        tapegrad_layer_of("${reached}" reached_layer)
        list(FIND TAPEGRAD_LAYERS "${reached_layer}" reached_index)
        if(reached_index GREATER_EQUAL 0 AND reached_index LESS own_index)
          list(APPEND links ${reached_layer})
        endif()
      endforeach()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES links)
  foreach(used IN LISTS links)
    get_property(used_target GLOBAL PROPERTY TAPEGRAD_LAYER_TARGET_${used})
    if(NOT used_target)
      message(FATAL_ERROR "tapegrad_add_layer(${layer}): add layer ${used}, which it uses, first")
    endif()
    target_link_libraries(${target} ${scope} ${used_target})
  endforeach()
endfunction()

# The layer a path (a file or a folder/) belongs to, or "" for none.
function(tapegrad_layer_of path out_variable)
  string(REGEX REPLACE "/$" "" path "${path}")
  foreach(layer IN LISTS TAPEGRAD_LAYERS)
    foreach(folder IN LISTS TAPEGRAD_LAYER_${layer}_FOLDERS)
      if(path STREQUAL folder OR path MATCHES "^${folder}/")
        set(${out_variable} ${layer} PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endforeach()
  set(${out_variable} "" PARENT_SCOPE)
endfunction()
