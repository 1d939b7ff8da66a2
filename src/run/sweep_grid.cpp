// parse_sweep_grid: a grid file's two forms, a product of lists or a list of runs, read with
// the parameters file's YAML typing and limits.
#include <nbexec/error.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/sweep_plan.hpp>

#include <string>
#include <utility>
#include <vector>

namespace nbexec {
namespace {

using Json = params::Parameters;

const char* kind_name(const Json& value) {
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  return "null";
}

// The grid's own wording of what it accepts, for every message about its shape.
constexpr const char* kShape =
    "a mapping of names to lists of values, or a list of mappings (one per run)";

[[noreturn]] void too_many(const std::string& origin) {
  throw ParameterError(origin + ": the grid means more than " + std::to_string(max_sweep_runs) +
                       " runs (the limit of one sweep); split it into several grids");
}

std::vector<SweepGridRun> product(const Json& lists, const std::string& origin) {
  std::size_t total = 1;
  for (const auto& [name, values] : lists.items()) {
    const std::string place = origin + ": '" + name + "'";
    params::check_parameter_name(name, origin);
    if (!values.is_array()) {
      throw ParameterError(place + ": expected a list of values, but found " + kind_name(values) +
                           " (write [value] for a single value)");
    }
    if (values.empty()) {
      throw ParameterError(place + ": the list of values is empty, so the grid has no runs");
    }
    if (total > max_sweep_runs / values.size()) too_many(origin);
    total *= values.size();
  }
  if (total > max_sweep_runs) too_many(origin);
  std::vector<SweepGridRun> runs(total, Json::object());
  // Run i spells i in mixed radix, the last name's digit changing fastest (itertools.product).
  std::size_t stride = total;
  for (const auto& [name, values] : lists.items()) {
    stride /= values.size();
    for (std::size_t i = 0; i < total; ++i) runs[i][name] = values[(i / stride) % values.size()];
  }
  return runs;
}

std::vector<SweepGridRun> listed(Json&& entries, const std::string& origin) {
  if (entries.size() > max_sweep_runs) too_many(origin);
  std::vector<SweepGridRun> runs;
  runs.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string place = origin + ": [" + std::to_string(i) + "]";
    Json& entry = entries[i];
    if (!entry.is_object()) {
      throw ParameterError(place + ": expected a mapping of parameter names to values, but found " +
                           kind_name(entry));
    }
    for (const auto& item : entry.items()) params::check_parameter_name(item.key(), place);
    runs.push_back(std::move(entry));
  }
  return runs;
}

}  // namespace

std::vector<SweepGridRun> parse_sweep_grid(std::string_view text, const std::string& origin) {
  Json grid = params::parse_yaml_value(text, origin);
  if (grid.is_object() || grid.is_array() || grid.is_null()) {
    if (grid.empty()) {
      throw ParameterError(origin + ": the grid is empty; expected " + std::string(kShape));
    }
    return grid.is_object() ? product(grid, origin) : listed(std::move(grid), origin);
  }
  throw ParameterError(origin + ": expected " + std::string(kShape) + ", but found " +
                       kind_name(grid));
}

}  // namespace nbexec
