# Helpers that give every target the same warnings, include root and sanitizers, so each
# folder's CMakeLists.txt only lists its files and dependencies.

set(OUTREACH_WARNINGS -Wall -Wextra -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 at -O3 reports false -Wrestrict errors inside inlined std::string concatenation
  # (GCC bug 105651); Release builds of ordinary string code trip it.
  list(APPEND OUTREACH_WARNINGS -Wno-restrict)
endif()

function(outreach_apply_defaults target)
  target_compile_options(${target} PRIVATE ${OUTREACH_WARNINGS})
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()

# outreach_library(NAME name SRCS a.cc ... DEPS target ...)
function(outreach_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  # Repo-rooted includes: "core/storage/database.h".
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  outreach_apply_defaults(${ARG_NAME})
endfunction()

# outreach_test(NAME name SRCS a_test.cc ... DEPS target ... [LABELS l ...])
function(outreach_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} outreach_testing GTest::gmock GTest::gtest_main)
  outreach_apply_defaults(${ARG_NAME})
  # A test file spends most of its compile on the same headers and templates (gtest, nlohmann):
  # compiled in batches of 8 a suite builds ~3x faster (replica_tests: 148 s -> 43 s of CPU).
  # Test files are leaves: a missing include this hides stays in tests (tests/README.md).
  set_target_properties(${ARG_NAME} PROPERTIES UNITY_BUILD "${OUTREACH_UNITY_TESTS}"
                                               UNITY_BUILD_BATCH_SIZE 8)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# outreach_binary(NAME name SRCS main.cc ... DEPS target ...): lands in build/bin/.
function(outreach_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  outreach_apply_defaults(${ARG_NAME})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()
