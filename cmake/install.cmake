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
# tapegrad's libraries link these shared libraries by the paths they were found at when
# built: ColPack (tapegrad::sparse) always, IPOPT (tapegrad::ipopt) and SuiteSparse's
# CHOLMOD and UMFPACK (tapegrad::optim) when the build had them. Each entry is "built
# with it|path|Debian package" (the path is empty when the build was not).
foreach(tapegrad_needed
    "TRUE|@ColPack_LIBRARY@|libcolpack-dev"
    "@TAPEGRAD_WITH_IPOPT@|@IPOPT_LIBRARY@|coinor-libipopt-dev"
    "@TAPEGRAD_WITH_SUITESPARSE@|@CHOLMOD_LIBRARY@|libsuitesparse-dev"
    "@TAPEGRAD_WITH_SUITESPARSE@|@UMFPACK_LIBRARY@|libsuitesparse-dev")
  string(REGEX MATCH "^([^|]*)\\|([^|]*)\\|(.*)$" tapegrad_needed "${tapegrad_needed}")
  if(CMAKE_MATCH_1 AND NOT EXISTS "${CMAKE_MATCH_2}")
    set(tapegrad_FOUND FALSE)
    set(tapegrad_NOT_FOUND_MESSAGE
        "tapegrad was built with ${CMAKE_MATCH_2}, which was not found. Install it with:\n  sudo apt-get install ${CMAKE_MATCH_3}")
    return()
  endif()
endforeach()
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
