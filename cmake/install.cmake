# Installs headers under include/tapegrad/... and a package config, so that users write
# find_package(tapegrad) and link tapegrad::tapegrad.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(TAPEGRAD_NATIVE)
  # Its code (and Eigen's layout) assume this CPU and -march=native in every program
  # linked to it; `make install` builds the portable release preset instead.
  install(CODE [[message(FATAL_ERROR "tapegrad: this build is tuned for this CPU (TAPEGRAD_NATIVE=ON) and is not for installing; install the release preset (make install)")]])
endif()

install(FILES tapegrad.hpp DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/tapegrad")
if(TAPEGRAD_WITH_MPI)
  install(DIRECTORY autodiff optim models plot DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/tapegrad" FILES_MATCHING PATTERN "*.hpp")
  set(tapegrad_installed_targets tapegrad ${TAPEGRAD_LIBRARY_TARGETS} tapegrad_mpi)
else()
  install(DIRECTORY autodiff optim models plot DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/tapegrad" FILES_MATCHING PATTERN "*.hpp"
          PATTERN "mpi_communicator.hpp" EXCLUDE)
  set(tapegrad_installed_targets tapegrad ${TAPEGRAD_LIBRARY_TARGETS})
endif()
if(TAPEGRAD_WITH_IPOPT)
  list(APPEND tapegrad_installed_targets tapegrad_ipopt)
endif()
install(FILES data/digits.csv data/iris.csv data/README.md DESTINATION "${CMAKE_INSTALL_DATADIR}/tapegrad/data")
# tapegrad::tapegrad is an interface over the layers' libraries (tapegrad::support,
# tapegrad::scalar, ...), which are exported with it for its links to resolve.
install(TARGETS ${tapegrad_installed_targets} EXPORT tapegradTargets ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT tapegradTargets NAMESPACE tapegrad:: DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad")

file(WRITE "${PROJECT_BINARY_DIR}/tapegradConfig.cmake.in" [=[
@PACKAGE_INIT@
include(CMakeFindDependencyMacro)
find_dependency(Eigen3 3.3 NO_MODULE)
find_dependency(Threads)
# tapegrad::sparse links ColPack's shared library by the path it was found at when built.
if(NOT EXISTS "@ColPack_LIBRARY@")
  set(tapegrad_FOUND FALSE)
  set(tapegrad_NOT_FOUND_MESSAGE
      "tapegrad needs ColPack (@ColPack_LIBRARY@), which was not found. Install it with:\n  sudo apt-get install libcolpack-dev")
  return()
endif()
# tapegrad::ipopt, when built, links IPOPT's shared library by its path.
if(@TAPEGRAD_WITH_IPOPT@ AND NOT EXISTS "@IPOPT_LIBRARY@")
  set(tapegrad_FOUND FALSE)
  set(tapegrad_NOT_FOUND_MESSAGE
      "tapegrad was built with IPOPT (@IPOPT_LIBRARY@), which was not found. Install it with:\n  sudo apt-get install coinor-libipopt-dev")
  return()
endif()
# tapegrad::optim links CHOLMOD's and UMFPACK's shared libraries the same way, when the
# build found SuiteSparse.
if(@TAPEGRAD_WITH_SUITESPARSE@)
  foreach(tapegrad_suitesparse_library "@CHOLMOD_LIBRARY@" "@UMFPACK_LIBRARY@")
    if(NOT EXISTS "${tapegrad_suitesparse_library}")
      set(tapegrad_FOUND FALSE)
      set(tapegrad_NOT_FOUND_MESSAGE
          "tapegrad was built with SuiteSparse and needs ${tapegrad_suitesparse_library}, which was not found. Install it with:\n  sudo apt-get install libsuitesparse-dev")
      return()
    endif()
  endforeach()
endif()
if(@TAPEGRAD_WITH_MPI@)
  set(MPI_CXX_SKIP_MPICXX ON)
  find_dependency(MPI COMPONENTS CXX)  # for tapegrad::mpi
endif()
include("${CMAKE_CURRENT_LIST_DIR}/tapegradTargets.cmake")
]=])
configure_package_config_file("${PROJECT_BINARY_DIR}/tapegradConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/tapegradConfig.cmake" INSTALL_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/tapegradConfig.cmake" "${PROJECT_BINARY_DIR}/tapegradConfigVersion.cmake"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad")
