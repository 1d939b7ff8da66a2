# ctest driver: install one flavour of nbexec (static or shared) from the build tree into a
# scratch prefix, then configure, build and run the consumer project against it with
# find_package(nbexec).
#
#   cmake -DNBEXEC_BINARY_DIR=... -DCOMPONENT=devel -DFLAVOUR=static|shared -DGENERATOR=Ninja
#         -DCXX_COMPILER=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... -P check.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${NBEXEC_BINARY_DIR}" --prefix "${prefix}"
                --component "${COMPONENT}" RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component ${COMPONENT} failed: ${rc}")
endif()

# The prefix holds exactly the flavour under test.
file(GLOB_RECURSE static_libs "${prefix}/*/libnbexec.a")
file(GLOB_RECURSE shared_libs "${prefix}/*/libnbexec.so*")
if(FLAVOUR STREQUAL "static" AND (NOT static_libs OR shared_libs))
  message(FATAL_ERROR "expected libnbexec.a only in ${prefix}: ${static_libs} ${shared_libs}")
elseif(FLAVOUR STREQUAL "shared" AND (NOT shared_libs OR static_libs))
  message(FATAL_ERROR "expected libnbexec.so only in ${prefix}: ${static_libs} ${shared_libs}")
endif()

set(generator_args)
if(GENERATOR)
  set(generator_args -G "${GENERATOR}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build"
                ${generator_args} "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                "-DCMAKE_PREFIX_PATH=${prefix}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()

# A static consumer must find nbexec's private dependencies (they are in its link line); a
# shared one must not even look for them: libnbexec.so carries them.
file(STRINGS "${WORK_DIR}/build/CMakeCache.txt" private_deps REGEX "^(yaml-cpp|cppzmq|md4c)_DIR:")
if(FLAVOUR STREQUAL "static" AND NOT private_deps)
  message(FATAL_ERROR "the static package did not find yaml-cpp and cppzmq for its consumer")
elseif(FLAVOUR STREQUAL "shared" AND private_deps)
  message(FATAL_ERROR "the shared package made its consumer find private deps: ${private_deps}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
execute_process(COMMAND "${WORK_DIR}/build/consumer" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "injected-parameters" OR NOT out MATCHES "alpha = 0.5")
  message(FATAL_ERROR "the consumer ran but its output is wrong (rc ${rc}):\n${out}")
endif()
message(STATUS "consumer linked the ${FLAVOUR} nbexec::nbexec through find_package and ran")
