#pragma once

#include <nbexec/params/parameters.hpp>
#include <nbexec/params/path/path_template.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The plan of a sweep: which runs a grid file means, each run's parameters and output path, and
// which of them one shard runs. Pure: no kernel, no file is read or written, so a launcher can
// show or check a sweep before anything starts (docs/sweeps.md).
namespace nbexec {

// The most runs one grid may mean. A grid is written by hand or by a short script; a product
// that passes this is far more likely a mistake (a list where one value was meant) than a plan,
// and each run is a kernel start. Planning itself stays cheap up to here.
inline constexpr std::size_t max_sweep_runs = 100'000;

// One entry of the grid, before fixed values are merged in: the names and values of one run,
// in order.
using SweepGridRun = params::Parameters;

// The runs a grid file means, in order. The text is YAML or JSON, read with the same typing
// and hostile-input limits as a parameters file (params::parse_yaml_value), and is either
//  - a mapping of names to lists of values: the cartesian product, the first name varying
//    slowest (Python's itertools.product over the lists in file order), so
//    {a: [1, 2], b: [x, y]} is (1,x), (1,y), (2,x), (2,y); or
//  - a list of mappings: one run each, in list order (an empty mapping is a run with only the
//    fixed values).
// Throws ParameterError naming `origin` and the place (a name, or a run's position) for a value
// that is not a list, an empty list, an element that is not a mapping, an empty grid, a top
// level of another kind, a name that is not an identifier, and more than max_sweep_runs runs.
std::vector<SweepGridRun> parse_sweep_grid(std::string_view text, const std::string& origin);

// One slice of a sweep, so K machines (a KFP ParallelFor, a job array) can share it. Indexes
// are 0-based as ParallelFor's are: shard I of K runs the runs whose index i has i % K == I.
// Round-robin keeps the slices balanced within one run and depends only on the grid, so every
// shard computes the same split without talking to the others.
struct SweepShard {
  std::size_t index = 0;
  std::size_t count = 1;
};

// "I/K" with whole numbers, 0 <= I < K ("0/4" ... "3/4"). Throws UsageError otherwise (a sign,
// a space, a missing part or slash, K = 0, I >= K).
SweepShard parse_sweep_shard(std::string_view spec);

struct SweepPlanOptions {
  std::vector<SweepGridRun> grid;  // parse_sweep_grid's result
  // Values every run gets (a launcher's -p/-f/-y). A grid value wins over a fixed value of the
  // same name: the grid is what varies per run, and letting a fixed value win would silently
  // run the same parameters over and over. It is also papermill's order, the more specific
  // source later. A name keeps the position it has among the fixed values.
  params::Parameters fixed = params::Parameters::object();
  // Filled per run with params::parameterize_path from the run's parameters plus `run`, the
  // run's index: "out/{alpha}-{seed}.ipynb", "out/run-{run:03d}.ipynb". A run's own parameter
  // named `run` wins over the index (it is the notebook's value, passed through unchanged).
  std::string output_template;
  std::optional<SweepShard> shard;  // none: every run
  // The {pm[...]} values, one set for the whole plan. They differ between processes (a fresh
  // UUID and clock each), so paths that use them are not the same on every shard.
  params::BuiltinParameters builtins = params::make_builtin_parameters();
};

struct SweepRun {
  std::size_t index = 0;  // in the whole grid, the same whichever shard runs it
  params::Parameters parameters = params::Parameters::object();  // fixed, then grid values
  std::filesystem::path output_path;
};

struct SweepPlan {
  std::vector<SweepRun> runs;  // this shard's runs, by index
  std::size_t total_runs = 0;  // in the whole grid
  SweepShard shard;            // {0, 1} when the plan is not sharded
};

// The runs of a sweep, checked before any of them starts. Every run's output path is filled in
// and compared across the whole grid (not only this shard: shards write to the same place), as
// lexically normalised paths, so two runs never overwrite each other. Throws ParameterError for
// a template that names a missing parameter (naming the run), for two runs with the same output
// path (naming both and the path) and for more than max_sweep_runs runs; UsageError for an
// empty grid or template or an impossible shard.
SweepPlan plan_sweep(const SweepPlanOptions& options);

}  // namespace nbexec
