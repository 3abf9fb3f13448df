# latent_program(target): warnings and optimisation flags for the project's own
# programs (tests, examples, benchmarks). Users of the headers choose their own.
function(latent_program target)
  target_link_libraries(${target} PRIVATE latent::latent)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unknown-pragmas -Wno-maybe-uninitialized>)
  if(LATENT_NATIVE)
    # Debian's g++ 12.2 miscompiles a constant float array {1,1,1,1,0,0,0,0} as eight ones (a
    # broadcast over the whole register) at -O2 in two ways: with AVX-512 enabled, and with the
    # AVX-512 cores' tuning (-mtune=rocketlake and the like store by 256-bit pieces) even on AVX2
    # alone. So native builds stop at AVX2 and keep the generic tuning: -mno-avx512f
    # -mtune=generic. Checked by tests/core/compiler.cpp.
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native -mno-avx512f -mtune=generic>)
  endif()
endfunction()
