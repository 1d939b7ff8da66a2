# Installs libnbexec.a, the public headers and a CMake package so that other projects can
# `find_package(nbexec)` and link `nbexec::nbexec`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NBEXEC_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/nbexec")

install(TARGETS nbexec EXPORT nbexecTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/nbexec DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT devel)
install(EXPORT nbexecTargets NAMESPACE nbexec:: DESTINATION ${NBEXEC_CMAKE_DIR}
        COMPONENT devel)
configure_package_config_file(cmake/nbexecConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/nbexecConfig.cmake" INSTALL_DESTINATION ${NBEXEC_CMAKE_DIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/nbexecConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/nbexecConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/nbexecConfigVersion.cmake"
        DESTINATION ${NBEXEC_CMAKE_DIR} COMPONENT devel)

if(NBEXEC_BUILD_CLI AND NOT SKBUILD)
  install(TARGETS nbexec_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
endif()
