# latent_program(target): warnings and optimisation flags for the project's own
# programs (tests, examples, benchmarks). Users of the headers choose their own.
function(latent_program target)
  target_link_libraries(${target} PRIVATE latent::latent)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unknown-pragmas -Wno-maybe-uninitialized>)
  if(LATENT_NATIVE)
    # -mno-avx512f: Debian's g++ 12.2 miscompiles with AVX-512 at -O2 (a constant float array
    # {1,1,1,1,0,0,0,0} is stored as eight ones: a vpbroadcastd over the whole register), so on
    # AVX-512 machines native builds stop at AVX2. Checked by tests/core/compiler.cpp.
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native -mno-avx512f>)
  endif()
endfunction()
