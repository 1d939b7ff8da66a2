# Every dependency comes from Debian's packages (see scripts/install-deps.sh).
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(cppzmq REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
# md4c renders the markdown of the HTML page (src/notebook/render_markdown.cpp).
include("${CMAKE_CURRENT_LIST_DIR}/nbexec-find-md4c.cmake")
if(NOT TARGET md4c::md4c-html)
  message(FATAL_ERROR "md4c (with its HTML renderer) not found: apt-get install libmd4c-dev "
                      "libmd4c-html0-dev (scripts/install-deps.sh)")
endif()
if(NBEXEC_BUILD_CLI)
  find_package(CLI11 REQUIRED)
endif()
