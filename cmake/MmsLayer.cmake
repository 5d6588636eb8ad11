# One CMake library per layer under src/. A layer's headers are reachable only by targets that link it:
# each layer gets a private include root holding a single link <root>/<layer> -> src/<layer>, and that
# root is the layer's PUBLIC include directory. So `#include "kv/block_pool.h"` from a layer that does not
# link mms_kv fails to compile: DESIGN.md's layering is enforced by the build.
#
#   mms_layer(NAME model DEPS mms_common mms_tensor PRIVATE_DEPS PkgConfig::PCRE2)
function(mms_layer)
  cmake_parse_arguments(L "" "NAME" "DEPS;PRIVATE_DEPS" ${ARGN})
  set(root ${CMAKE_BINARY_DIR}/include_roots/${L_NAME})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${L_NAME})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${L_NAME} ${root}/${L_NAME} SYMBOLIC)
  endif()
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${L_NAME}/*.cc)
  add_library(mms_${L_NAME} STATIC ${srcs})
  target_include_directories(mms_${L_NAME} PUBLIC ${root})
  # Layers are linked PUBLIC into the layers above (their headers use the lower layers' types), but a
  # layer never gets the include root of a layer it does not list.
  target_link_libraries(mms_${L_NAME} PUBLIC ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
endfunction()

# One test executable per layer from tests/<layer>/**/*_test.cc, registered with ctest per test case.
#   mms_layer_tests(NAME model LABEL unit DEPS mms_model)
# EXCLUDE names subdirectories of tests/<dir> left out (they build their own executable, e.g. with another
# label: mms_layer_tests(NAME server_e2e DIR server/e2e LABEL e2e ...)).
# MMS_BIN (the mmserve binary's path) is set for every test; NO_BIN is accepted for tests that never run it.
function(mms_layer_tests)
  cmake_parse_arguments(T "NO_BIN" "NAME;LABEL;DIR" "DEPS;EXCLUDE" ${ARGN})
  if(NOT T_DIR)
    set(T_DIR ${T_NAME})
  endif()
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${T_DIR}/*_test.cc)
  foreach(sub ${T_EXCLUDE})
    list(FILTER srcs EXCLUDE REGEX "/tests/${T_DIR}/${sub}/")
  endforeach()
  if(NOT srcs)
    return()
  endif()
  set(exe mms_${T_NAME}_tests)
  add_executable(${exe} ${srcs})
  target_link_libraries(${exe} PRIVATE ${T_DEPS} mms_testing GTest::gtest_main GTest::gmock)
  # Test files themselves at -O1 (the code under test keeps its build type's flags): a third less compile
  # time for googletest's macros and the tests' templates, which matters on CI's 2 cores.
  target_compile_options(${exe} PRIVATE $<$<CONFIG:Release,RelWithDebInfo>:-O1>)
  # In the sanitizer build (Debug, -O1 for the code under test) the test files at -O0: ASan + UBSan
  # instrumentation of googletest's and the tests' templates at -O1 costs 40% more compile time.
  target_compile_options(${exe} PRIVATE $<$<CONFIG:Debug>:-O0>)
  set_target_properties(${exe} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  # One environment variable only: gtest_discover_tests splits a list-valued ENVIRONMENT into separate
  # arguments, so tests find their data and the mmserve binary from compiled-in paths instead
  # (tests/testing/test_data.h). OpenMP waits passively: ctest runs test processes in parallel on few
  # cores, where one process's spinning barriers starve the others.
  gtest_discover_tests(${exe}
    PROPERTIES LABELS ${T_LABEL} ENVIRONMENT "OMP_WAIT_POLICY=passive"
    DISCOVERY_TIMEOUT 60)
endfunction()
