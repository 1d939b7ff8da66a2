# Defines md4c::md4c-html, the Markdown-to-HTML renderer nbexec's notebook renderer uses
# (a private dependency). Debian's libmd4c-dev ships a CMake package; where only pkg-config
# files exist (md4c-html.pc), an imported target of the same name is made from them, so that
# nbexec's build and a static consumer's find_package(nbexec) see one name.
# Installed beside nbexecConfig.cmake, which includes it for static consumers.
if(NOT TARGET md4c::md4c-html)
  find_package(md4c CONFIG QUIET)
endif()
if(NOT TARGET md4c::md4c-html)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(NBEXEC_MD4C_HTML QUIET IMPORTED_TARGET md4c-html)
  endif()
  if(TARGET PkgConfig::NBEXEC_MD4C_HTML)
    add_library(md4c::md4c-html INTERFACE IMPORTED)
    set_target_properties(md4c::md4c-html PROPERTIES
      INTERFACE_LINK_LIBRARIES PkgConfig::NBEXEC_MD4C_HTML)
  endif()
endif()
