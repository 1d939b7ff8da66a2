# Writes OUTPUT, a C++ source defining nbexec::kernel::detail::kernel_template_source, the text
# of INPUT (python/nbexec/_kernel_template.py): the native CLI forks kernels without a Python
# package to find the program in. Run at build time, so an edit of the program rebuilds it.
file(READ "${INPUT}" text)
string(FIND "${text}" ")nbexec_template\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string's delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from python/nbexec/_kernel_template.py by cmake/embed_template.cmake.\n"
  "namespace nbexec::kernel::detail {\n"
  "extern const char* const kernel_template_source;\n"
  "const char* const kernel_template_source = R\"nbexec_template(${text})nbexec_template\";\n"
  "}  // namespace nbexec::kernel::detail\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
