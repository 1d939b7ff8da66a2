// plan_sweep and parse_sweep_shard: the runs of a grid with their parameters and output paths,
// and the slice one shard runs.
#include <nbexec/sweep_plan.hpp>

#include <nbexec/error.hpp>

#include <charconv>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace nbexec {
namespace {

// A whole number written with digits only: no sign, space or other base, as a shard spec
// comes from a pipeline's loop index and a typo there should not pick a different slice.
bool parse_count(std::string_view text, std::size_t& out) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

void check_shard(const SweepShard& shard, std::string_view spec) {
  if (shard.count == 0) {
    throw UsageError("shard '" + std::string(spec) + "': the number of shards must be at least 1");
  }
  if (shard.index >= shard.count) {
    throw UsageError("shard '" + std::string(spec) + "': the index must be below the number of " +
                     "shards (shards are numbered from 0 to " + std::to_string(shard.count - 1) +
                     ")");
  }
}

}  // namespace

SweepShard parse_sweep_shard(std::string_view spec) {
  const std::size_t slash = spec.find('/');
  SweepShard shard;
  if (slash == std::string_view::npos || !parse_count(spec.substr(0, slash), shard.index) ||
      !parse_count(spec.substr(slash + 1), shard.count)) {
    throw UsageError("shard '" + std::string(spec) +
                     "': expected INDEX/COUNT in whole numbers, such as 0/4 (indexes start at 0)");
  }
  check_shard(shard, spec);
  return shard;
}

SweepPlan plan_sweep(const SweepPlanOptions& options) {
  if (options.grid.empty()) throw UsageError("a sweep needs a grid of at least one run");
  if (options.grid.size() > max_sweep_runs) {
    throw ParameterError("the grid has " + std::to_string(options.grid.size()) +
                         " runs, more than the limit of one sweep (" +
                         std::to_string(max_sweep_runs) + ")");
  }
  if (options.output_template.empty()) {
    throw UsageError("a sweep needs an output path template (each run writes its own notebook)");
  }
  SweepPlan plan;
  plan.total_runs = options.grid.size();
  if (options.shard) {
    check_shard(*options.shard,
                std::to_string(options.shard->index) + "/" + std::to_string(options.shard->count));
    plan.shard = *options.shard;
  }
  // Every run's path is filled in, also the other shards' runs: a clash between two shards
  // would otherwise pass on both and lose a notebook.
  std::unordered_map<std::string, std::size_t> writers;
  for (std::size_t index = 0; index < options.grid.size(); ++index) {
    params::Parameters parameters = options.fixed;
    for (const auto& [name, value] : options.grid[index].items()) parameters[name] = value;
    params::Parameters fields = parameters;
    if (!fields.contains("run")) fields["run"] = index;
    std::filesystem::path path =
        params::parameterize_path(options.output_template, fields, options.builtins,
                                  "output path of run " + std::to_string(index));
    const auto [known, fresh] = writers.emplace(path.lexically_normal().string(), index);
    if (!fresh) {
      throw ParameterError("runs " + std::to_string(known->second) + " and " +
                           std::to_string(index) + " would both write '" + path.string() +
                           "' (output path template '" + options.output_template +
                           "'); name a value that varies, or {run}, in the template");
    }
    if (index % plan.shard.count == plan.shard.index) {
      plan.runs.push_back(SweepRun{index, std::move(parameters), std::move(path)});
    }
  }
  return plan;
}

}  // namespace nbexec
