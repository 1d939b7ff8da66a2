# libnbexec in two flavours linked from ONE set of objects (nbexec_objects, compiled once with
# PIC): a static library (the default product, linked into the CLI and the Python extension)
# and a shared library that exports nbexec's own API only. A test build links both, so the
# consumer check and the symbol check cost a link each, never a second compile.

# nbexec_flavour(TARGET VAR): "shared" or "static", the word the install components, export
# files and consumer checks are named with.
function(nbexec_flavour target var)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    set(${var} shared PARENT_SCOPE)
  else()
    set(${var} static PARENT_SCOPE)
  endif()
endfunction()

# nbexec_add_library(NAME STATIC|SHARED): a library target made of nbexec_objects, with the
# usage requirements an installed nbexec::nbexec carries.
function(nbexec_add_library name type)
  add_library(${name} ${type} $<TARGET_OBJECTS:nbexec_objects>)
  set_target_properties(${name} PROPERTIES OUTPUT_NAME nbexec EXPORT_NAME nbexec
                                           POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
  target_compile_features(${name} PUBLIC cxx_std_20)
  # nlohmann/json is in the public headers (a notebook is JSON). The rest never is: a static
  # consumer links it ($<LINK_ONLY:...> in the export), a shared consumer never sees it.
  target_link_libraries(${name}
    PUBLIC nlohmann_json::nlohmann_json
    PRIVATE yaml-cpp cppzmq OpenSSL::Crypto Threads::Threads md4c::md4c-html)
  if(type STREQUAL "SHARED")
    _nbexec_control_exports(${name})
  endif()
endfunction()

# Only nbexec's API leaves the shared library. A build step reads the objects' mangled names
# (cmake/export_map.cmake) and writes a GNU ld version script whose global: part lists, by exact
# name, the symbols nested in namespace nbexec outside `detail` namespaces; local: * hides the
# rest (yaml-cpp, cppzmq/libzmq, OpenSSL, nlohmann and std instantiations, std templates
# instantiated for nbexec types). A demangled `nbexec::*` wildcard would not do: ld matches it
# against text that starts with a template function's return type.
function(_nbexec_control_exports name)
  # 0.x: an ABI break may come with any minor version (nbexecConfigVersion.cmake says
  # SameMinorVersion), so the soname carries major.minor.
  set_target_properties(${name} PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(map "${PROJECT_BINARY_DIR}/${name}-exports.map")
  set(objects "${PROJECT_BINARY_DIR}/${name}-objects.txt")
  file(GENERATE OUTPUT "${objects}" CONTENT "$<JOIN:$<TARGET_OBJECTS:nbexec_objects>,\n>\n")
  add_custom_command(OUTPUT "${map}"
    COMMAND ${CMAKE_COMMAND} "-DNM=${CMAKE_NM}" "-DOBJECTS_FILE=${objects}" "-DOUTPUT=${map}"
            -P "${PROJECT_SOURCE_DIR}/cmake/export_map.cmake"
    DEPENDS nbexec_objects $<TARGET_OBJECTS:nbexec_objects> "${objects}"
            "${PROJECT_SOURCE_DIR}/cmake/export_map.cmake"
    VERBATIM
    COMMENT "Listing the symbols lib${name} keeps local")
  add_custom_target(${name}_export_map DEPENDS "${map}")
  add_dependencies(${name} ${name}_export_map)
  target_link_options(${name} PRIVATE "LINKER:--version-script=${map}")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${map}")
endfunction()
