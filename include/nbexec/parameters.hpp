#pragma once

// The facade's parameter toolkit, for fronts that gather and render parameters as papermill
// does: values from -p/-r/-f/-y/-b and their merge, {name} templating of paths, and the
// per-language translators (with registration of new ones).
#include <nbexec/params/parameters.hpp>
#include <nbexec/params/path/path_template.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/params/translate/render.hpp>
#include <nbexec/params/translate/translator.hpp>
