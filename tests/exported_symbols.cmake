# ctest: libnbexec.so exports nbexec's API and nothing else (cmake/library.cmake).
#
#   cmake -DNM=nm -DLIBRARY=libnbexec.so -P exported_symbols.cmake
#
# Fails when a dynamic symbol is not nbexec's own (yaml-cpp, zmq, OpenSSL, nlohmann or std
# instantiations leaking out would make a consumer's copy of those libraries clash with
# nbexec's), when an internal of a `detail` namespace is exported, or when a known entry point
# of the API is missing.
execute_process(COMMAND "${NM}" -D --defined-only -C "${LIBRARY}"
                OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D failed on ${LIBRARY} (${rc})")
endif()
# Brackets (operator[], [abi:cxx11]) and ';' would break a CMake list of demangled names.
string(REPLACE "[" "<" listing "${listing}")
string(REPLACE "]" ">" listing "${listing}")
string(REPLACE ";" "," listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")

set(own "^(typeinfo for |typeinfo name for |vtable for |VTT for |guard variable for |non-virtual thunk to |virtual thunk to )?nbexec::")
set(foreign "")
set(internal "")
set(count 0)
foreach(line IN LISTS lines)
  # "address type name": the name starts at the third field and may hold spaces.
  if(NOT line MATCHES "^[0-9a-fA-F]* +[A-Za-z] +(.*)$")
    continue()
  endif()
  set(symbol "${CMAKE_MATCH_1}")
  math(EXPR count "${count} + 1")
  if(NOT symbol MATCHES "${own}")
    list(APPEND foreign "${symbol}")
  elseif(symbol MATCHES "${own}([A-Za-z0-9_]+::)*([A-Za-z0-9_]*_)?detail::")
    list(APPEND internal "${symbol}")
  endif()
endforeach()

set(failures "")
foreach(kind IN ITEMS yaml zmq ssl crypto evp hmac nlohmann std::)
  set(hits "")
  foreach(symbol IN LISTS foreign)
    string(TOLOWER "${symbol}" lower)
    if(lower MATCHES "^[^(]*${kind}")
      list(APPEND hits "${symbol}")
    endif()
  endforeach()
  if(hits)
    list(LENGTH hits n)
    list(GET hits 0 first)
    string(APPEND failures "  ${n} ${kind} symbol(s) exported, e.g. ${first}\n")
  endif()
endforeach()
if(foreign)
  list(LENGTH foreign n)
  list(JOIN foreign "\n    " shown)
  string(APPEND failures "  ${n} symbol(s) that are not nbexec's:\n    ${shown}\n")
endif()
if(internal)
  list(LENGTH internal n)
  list(JOIN internal "\n    " shown)
  string(APPEND failures "  ${n} internal detail symbol(s) exported:\n    ${shown}\n")
endif()
foreach(api IN ITEMS "nbexec::run_notebook(" "nbexec::notebook::parse_notebook_text("
                     "nbexec::params::inject_parameters(" "typeinfo for nbexec::Error")
  string(FIND "${listing}" "${api}" at)
  if(at EQUAL -1)
    string(APPEND failures "  not exported: ${api}...\n")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "${LIBRARY} exports the wrong symbols:\n${failures}")
endif()
message(STATUS "${LIBRARY}: ${count} symbols exported, all nbexec's API")
