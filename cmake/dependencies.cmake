# Every dependency comes from Debian's packages (see scripts/install-deps.sh).
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(cppzmq REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
if(NBEXEC_BUILD_CLI)
  find_package(CLI11 REQUIRED)
endif()
