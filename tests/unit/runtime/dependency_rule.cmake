# runtime_dependency_rule (DESIGN.md 2): the runtime consumes compiled artifacts and never sees
# the policy model, the interpreter, the compiler's C++ interface or the verifier. Fails when a
# runtime source includes one of their headers, or when sluice_runtime (or a library it links
# publicly) links one of their targets. Allowed: the plain-value headers of sluice_packet
# (sluice/lang/packet.h), sluice_abi (sluice/abi/sl_abi.h, sluice/compiler/meta.h) and
# sluice_artifact (sluice/artifact/).
#   cmake -DSOURCE_DIR=... -DLINKS="a,b,..." -P dependency_rule.cmake
set(forbidden_targets sluice_lang sluice_interp sluice_compiler sluice_compiler_internal
    sluice_compiler_check sluice_tv sluice_verifier sluice_antlr_gen)
set(allowed_headers sluice/lang/packet.h sluice/compiler/meta.h)
string(REPLACE "," ";" LINKS "${LINKS}")
set(failures "")
foreach(lib ${LINKS})
  list(FIND forbidden_targets "${lib}" at)
  if(NOT at EQUAL -1)
    string(APPEND failures "  links ${lib}\n")
  endif()
endforeach()
file(GLOB_RECURSE sources ${SOURCE_DIR}/runtime/*.h ${SOURCE_DIR}/runtime/*.cpp
     ${SOURCE_DIR}/compiler/artifact/*.cpp ${SOURCE_DIR}/compiler/include/sluice/artifact/*.h)
foreach(f ${sources})
  file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]sluice/(lang|interp|compiler|verify)/")
  foreach(l ${lines})
    string(REGEX REPLACE "^[^<\"]*[<\"]([^>\"]*)[>\"].*$" "\\1" header "${l}")
    list(FIND allowed_headers "${header}" ok)
    if(ok EQUAL -1)
      file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
      string(APPEND failures "  ${rel}: ${l}\n")
    endif()
  endforeach()
endforeach()
if(failures)
  message(FATAL_ERROR "the runtime depends on lang, the interpreter, the compiler or the verifier:\n${failures}")
endif()
message(STATUS "runtime dependency rule holds (links: ${LINKS})")
