# SPDX-License-Identifier: MIT
# Shared compile settings: warnings for every target, sanitizers only for the tools and tests.

set(HEAPRR_WARNINGS -Wall -Wextra -Wshadow -Wformat=2 -Wundef -Wno-format-nonliteral)
set(HEAPRR_C_WARNINGS -Wstrict-prototypes -Wmissing-prototypes)
if(HEAPRR_WERROR)
  list(APPEND HEAPRR_WARNINGS -Werror)
endif()

# Applies the project's warnings to a target.
function(heaprr_warnings target)
  target_compile_options(${target} PRIVATE ${HEAPRR_WARNINGS}
    $<$<COMPILE_LANGUAGE:C>:${HEAPRR_C_WARNINGS}>)
endfunction()

# Tools and tests: warnings, plus ASan+UBSan when HEAPRR_SANITIZE is on.
function(heaprr_tool target)
  heaprr_warnings(${target})
  if(HEAPRR_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
