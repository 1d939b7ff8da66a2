# Included into the ASan + UBSan build by scripts/sanitize.sh (CMAKE_PROJECT_INCLUDE), which
# compiles everything at -O0: the code under test, the library (nbexec_objects, which both
# library flavours link), the CLI and the fuzzers, goes to -O1 here.
# At -O0 ASan runs nbexec's parsers 4x slower than at -O1 (hostile YAML and 200,000-cell
# notebooks time out), while the Catch2 tests and fuzz replays build in half the time at -O0.
# The CLI is all -O1. In nbexec_tests the linker keeps the tests' -O0 copy of an inline
# function (nlohmann, yaml-cpp) the library also uses, so there the library runs partly at
# -O0: "hostile YAML is bounded" takes ~50 s of CPU instead of ~15, still cheaper than the
# build time saved.
# The fuzzers too (NBEXEC_BUILD_FUZZ, scripts/fuzz.sh with FUZZ_BUILD=build/asan): at -O0 their
# harness's copies of the inline JSON and YAML code win at link time and halve the
# executions per second.
function(_nbexec_sanitize_optimize)
  foreach(target IN ITEMS nbexec_objects nbexec_cli fuzz_notebook fuzz_wire fuzz_connection_file
                          fuzz_parameters fuzz_inspect)
    if(TARGET ${target})
      # After the -O0 of CMAKE_CXX_FLAGS_DEBUG on the command line, so it wins.
      target_compile_options(${target} PRIVATE -O1)
    endif()
  endforeach()
endfunction()

# The targets do not exist yet when project() includes this file: run at the end of the
# top-level CMakeLists.txt.
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _nbexec_sanitize_optimize)
