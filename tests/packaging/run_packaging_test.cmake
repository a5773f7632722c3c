# CTest driver (cmake -P): installs the built tree into a scratch prefix, then configures,
# builds and runs a consumer project that finds it with find_package(keras-cpp).
# Inputs (-D): KERAS_SOURCE_DIR, KERAS_BUILD_DIR, BUILD_CONFIG, WORK_DIR, CONSUMER_DIR,
#              CXX_COMPILER, GENERATOR.
cmake_minimum_required(VERSION 3.20)

foreach(input KERAS_SOURCE_DIR KERAS_BUILD_DIR WORK_DIR CONSUMER_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${input})
    message(FATAL_ERROR "run_packaging_test.cmake needs -D${input}=...")
  endif()
endforeach()
set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")

# Runs a command; fails the test with its output when it fails. Output is in step_output.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(config_args)
if(BUILD_CONFIG)
  set(config_args --config "${BUILD_CONFIG}")
endif()
run_step("cmake --install" "${CMAKE_COMMAND}" --install "${KERAS_BUILD_DIR}" --prefix "${prefix}" ${config_args})

# A relocatable package: nothing installed may point back into the source or build tree.
file(GLOB_RECURSE package_files "${prefix}/*.cmake")
if(NOT package_files)
  message(FATAL_ERROR "the install put no CMake package files under ${prefix}")
endif()
foreach(file ${package_files})
  file(READ "${file}" text)
  foreach(tree "${KERAS_SOURCE_DIR}" "${KERAS_BUILD_DIR}")
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} refers to ${tree}: the installed package is not relocatable")
    endif()
  endforeach()
endforeach()

# The installed CLI must find the installed library (its RPATH is relative to the prefix).
find_program(LDD ldd)
if(LDD AND EXISTS "${prefix}/bin/keras-cpp")
  run_step("ldd keras-cpp" "${LDD}" "${prefix}/bin/keras-cpp")
  if(step_output MATCHES "not found")
    message(FATAL_ERROR "the installed keras-cpp misses libraries:\n${step_output}")
  endif()
  file(GLOB_RECURSE shared_library "${prefix}/lib*/libkeras-cpp.so*")
  if(shared_library)
    string(REGEX MATCH "libkeras-cpp[^\n]*" resolved "${step_output}")
    string(FIND "${resolved}" "=> ${prefix}/" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "the installed keras-cpp does not load the installed library:\n${step_output}")
    endif()
  endif()
elseif(NOT EXISTS "${prefix}/bin/keras-cpp")
  message(FATAL_ERROR "the install has no bin/keras-cpp")
endif()

set(consumer_build "${WORK_DIR}/consumer-build")
run_step("configuring the consumer" "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${consumer_build}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DKERAS_EXPECTED_PREFIX=${prefix}")
run_step("building the consumer" "${CMAKE_COMMAND}" --build "${consumer_build}")
run_step("running the consumer" "${consumer_build}/consumer")
if(NOT step_output MATCHES "keras-cpp consumer OK")
  message(FATAL_ERROR "the consumer did not report success:\n${step_output}")
endif()
message(STATUS "${step_output}")
