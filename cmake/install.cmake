# Installs libnbexec, the public headers and a CMake package so that other projects can
# `find_package(nbexec)` and link `nbexec::nbexec`, static (the default) or shared
# (NBEXEC_BUILD_SHARED). The package holds one flavour: its targets file is
# nbexec-static-targets.cmake or nbexec-shared-targets.cmake, and nbexecConfig.cmake finds the
# private dependencies only for the static one.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NBEXEC_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/nbexec")

configure_package_config_file(cmake/nbexecConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/nbexecConfig.cmake" INSTALL_DESTINATION ${NBEXEC_CMAKE_DIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/nbexecConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)

# _nbexec_install(TARGET COMPONENT [EXCLUDE_FROM_ALL]): one complete package of TARGET.
function(_nbexec_install target component)
  nbexec_flavour(${target} flavour)
  set(export nbexec_${flavour}_targets)
  install(TARGETS ${target} EXPORT ${export}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${component} ${ARGN}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${component} ${ARGN}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY include/nbexec DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          COMPONENT ${component} ${ARGN})
  install(EXPORT ${export} NAMESPACE nbexec:: DESTINATION ${NBEXEC_CMAKE_DIR}
          FILE nbexec-${flavour}-targets.cmake COMPONENT ${component} ${ARGN})
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/nbexecConfig.cmake"
                "${CMAKE_CURRENT_BINARY_DIR}/nbexecConfigVersion.cmake"
                "${PROJECT_SOURCE_DIR}/cmake/nbexec-find-md4c.cmake"
          DESTINATION ${NBEXEC_CMAKE_DIR} COMPONENT ${component} ${ARGN})
endfunction()

_nbexec_install(nbexec devel)

# A test build also links the other flavour (CMakeLists.txt): each gets a component of its
# own, left out of a plain `cmake --install`, that the find_package consumer check installs
# into a staging prefix (tests/consumer/check.cmake).
if(NBEXEC_BUILD_TESTS)
  foreach(target IN ITEMS ${NBEXEC_STATIC_TARGET} ${NBEXEC_SHARED_TARGET})
    if(NOT target STREQUAL "nbexec")
      _nbexec_install(${target} devel_${target} EXCLUDE_FROM_ALL)
    endif()
  endforeach()
endif()

if(NBEXEC_BUILD_CLI AND NOT SKBUILD)
  install(TARGETS nbexec_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
endif()
