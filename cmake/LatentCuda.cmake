# Decides whether the CUDA configuration is built (LATENT_CUDA = AUTO | ON | OFF)
# and sets LATENT_CUDA_ENABLED. Debian's CMake 3.25 passes no -std to nvcc for
# CUDA_STANDARD 20, so the flag is added here, once.
set(LATENT_CUDA_ENABLED OFF)
if(LATENT_CUDA STREQUAL "OFF")
  return()
endif()
include(CheckLanguage)
if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "nvcc")
endif()
check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "GPU architectures to build for")
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(LATENT_CUDA_ENABLED ON)
  message(STATUS "latent: building the CUDA configuration (architectures ${CMAKE_CUDA_ARCHITECTURES})")
elseif(LATENT_CUDA STREQUAL "ON")
  message(FATAL_ERROR "LATENT_CUDA=ON but no CUDA compiler was found; set CMAKE_CUDA_COMPILER")
else()
  message(STATUS "latent: no nvcc found, the CUDA configuration is skipped")
endif()

# latent_cuda_options(target): the flags every CUDA translation unit of ours needs.
function(latent_cuda_options target)
  # 3189: "module" read as an identifier (nn::module); 20012: Eigen's __host__ __device__ defaults.
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20 --expt-relaxed-constexpr --extended-lambda -diag-suppress=3189,20012,20014>)
endfunction()
