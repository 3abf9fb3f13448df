# latent_program(target): warnings and optimisation flags for the project's own
# programs (tests, examples, benchmarks). Users of the headers choose their own.
function(latent_program target)
  target_link_libraries(${target} PRIVATE latent::latent)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unknown-pragmas -Wno-maybe-uninitialized>)
  if(LATENT_NATIVE)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
endfunction()
