#include "sweep_summary.hpp"

#include <nbexec/error.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <system_error>

namespace nbexec::cli {

namespace {

using nlohmann::json;

const std::vector<std::string> fixed_columns = {"index",    "status",      "exit_code",
                                                "duration", "output_path", "error"};

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value as a cell: strings as they are (no quotes to strip in a spreadsheet), everything
// else as JSON (numbers, true/false, lists and mappings), null as nothing.
std::string cell_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return dump(value);
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string seconds_text(double seconds, int decimals = 3) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, seconds);
  return text;
}

// The keys of every object, in first-seen order.
template <typename Json>
void add_keys(const Json& values, std::vector<std::string>& names) {
  if (!values.is_object()) return;
  for (auto it = values.begin(); it != values.end(); ++it) {
    if (std::find(names.begin(), names.end(), it.key()) == names.end()) names.push_back(it.key());
  }
}

std::vector<std::string> key_union(const std::vector<SweepRecord>& records, bool scraps) {
  std::vector<std::string> names;
  for (const SweepRecord& record : records) {
    if (scraps) {
      add_keys(record.scraps, names);
    } else {
      add_keys(record.parameters, names);
    }
  }
  return names;
}

std::string cut(const std::string& text, std::size_t columns) {
  if (text.size() <= columns) return text;
  if (columns <= 1) return text.substr(0, columns);
  std::size_t end = columns - 1;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "~";
}

std::string megabytes(std::uint64_t bytes) {
  return std::to_string((bytes + 512 * 1024) / (1024 * 1024)) + " MB";
}

}  // namespace

SummaryFormat summary_format(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  SummaryFormat format;
  if (extension == ".csv") {
    format = SummaryFormat::csv;
  } else if (extension == ".jsonl" || extension == ".json") {
    format = SummaryFormat::jsonl;
  } else {
    throw UsageError("summary file '" + path.string() +
                     "': the extension chooses the format: .csv, or .jsonl/.json for JSON lines");
  }
  const std::filesystem::path folder = path.parent_path();
  std::error_code ec;
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
    throw UsageError("summary file '" + path.string() + "': folder '" + folder.string() +
                     "' does not exist");
  }
  return format;
}

nlohmann::ordered_json summary_row(const SweepRecord& record) {
  return nlohmann::ordered_json{
      {"index", record.index},
      {"parameters", record.parameters},
      {"status", record.status},
      {"exit_code", record.exit_code},
      {"duration", record.seconds},
      {"output_path", record.output_path.string()},
      {"scraps", record.scraps.is_object() ? record.scraps : json::object()},
      {"error", record.error.empty() ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(record.error)}};
}

std::string summary_csv(const std::vector<SweepRecord>& records) {
  const std::vector<std::string> parameters = key_union(records, false);
  const std::vector<std::string> scraps = key_union(records, true);
  std::vector<std::string> header = fixed_columns;
  for (const std::string& name : parameters) {
    const bool clash =
        std::find(fixed_columns.begin(), fixed_columns.end(), name) != fixed_columns.end();
    header.push_back(clash ? "param." + name : name);
  }
  for (const std::string& name : scraps) header.push_back("scrap." + name);

  std::string text;
  auto add_row = [&text](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) text += ',';
      text += csv_field(fields[i]);
    }
    text += "\r\n";  // RFC 4180; Python's csv module writes the same
  };
  add_row(header);
  for (const SweepRecord& record : records) {
    std::vector<std::string> fields = {
        std::to_string(record.index),     record.status,
        std::to_string(record.exit_code), seconds_text(record.seconds),
        record.output_path.string(),      record.error};
    for (const std::string& name : parameters) {
      fields.push_back(record.parameters.contains(name) ? cell_text(record.parameters[name]) : "");
    }
    for (const std::string& name : scraps) {
      const bool has = record.scraps.is_object() && record.scraps.contains(name);
      fields.push_back(has ? cell_text(record.scraps[name]) : "");
    }
    add_row(fields);
  }
  return text;
}

std::string summary_jsonl(const std::vector<SweepRecord>& records) {
  std::string text;
  for (const SweepRecord& record : records) {
    text += summary_row(record).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  return text;
}

void write_summary(const std::filesystem::path& path, SummaryFormat format,
                   const std::vector<SweepRecord>& records) {
  const std::string text =
      format == SummaryFormat::csv ? summary_csv(records) : summary_jsonl(records);
  std::filesystem::path temporary = path;
  temporary += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw UsageError("summary file '" + path.string() + "': cannot write it");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    throw UsageError("summary file '" + path.string() + "': cannot write it: " + ec.message());
  }
}

std::vector<std::string> grid_names(const std::vector<SweepGridRun>& grid) {
  std::vector<std::string> names;
  for (const SweepGridRun& run : grid) add_keys(run, names);
  return names;
}

std::string compact_values(const nlohmann::ordered_json& values,
                           const std::vector<std::string>& names) {
  std::string text;
  auto add = [&text](const std::string& name, const json& value) {
    if (!text.empty()) text += ", ";
    text += name + "=" + (value.is_string() ? value.get<std::string>() : dump(value));
  };
  if (!values.is_object()) return text;
  if (names.empty()) {
    for (auto it = values.begin(); it != values.end(); ++it) add(it.key(), it.value());
    return text;
  }
  for (const std::string& name : names) {
    if (values.contains(name)) add(name, values[name]);
  }
  return text;
}

std::string summary_table(const SweepResult& result, const std::vector<std::string>& names,
                          std::size_t width) {
  std::vector<std::vector<std::string>> rows = {
      {"run", "parameters", "status", "exit", "seconds", "scraps"}};
  for (const SweepRecord& record : result.records) {
    rows.push_back({std::to_string(record.index), compact_values(record.parameters, names),
                    record.status, std::to_string(record.exit_code),
                    seconds_text(record.seconds, 1), compact_values(record.scraps, {})});
  }
  // The free-text columns (parameters, scraps) share what the fixed ones leave of the width.
  std::vector<std::size_t> widths(6, 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  const std::size_t fixed = widths[0] + widths[2] + widths[3] + widths[4] + 5 * 2;
  const std::size_t room = width > fixed + 21 ? width - fixed - 1 : 20;
  if (widths[1] + widths[5] > room) {
    const std::size_t half = room / 2;
    if (widths[1] <= half) {
      widths[5] = room - widths[1];
    } else if (widths[5] <= half) {
      widths[1] = room - widths[5];
    } else {
      widths[1] = half;
      widths[5] = room - half;
    }
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string cell = cut(row[i], widths[i]);
      const bool numeric = i == 0 || i == 3 || i == 4;
      const std::string pad(widths[i] > cell.size() ? widths[i] - cell.size() : 0, ' ');
      line += numeric ? pad + cell : cell + (i + 1 < row.size() ? pad : "");
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

std::string summary_total(const SweepResult& result) {
  std::map<std::string, std::size_t> counts;
  for (const SweepRecord& record : result.records) ++counts[record.status];
  std::string text =
      std::to_string(result.records.size()) + (result.records.size() == 1 ? " run" : " runs");
  if (result.shard.count > 1) {
    text += " (shard " + std::to_string(result.shard.index) + "/" +
            std::to_string(result.shard.count) + " of " + std::to_string(result.total_runs) + ")";
  }
  text += ":";
  // completed first, then the rest in a fixed order a reader can scan
  const std::vector<std::string> order = {"completed",   "failed", "timeout", "kernel_died",
                                          "interrupted", "error",  "skipped"};
  bool first = true;
  for (const std::string& status : order) {
    auto found = counts.find(status);
    if (found == counts.end() || found->second == 0) continue;
    text += (first ? " " : ", ") + std::to_string(found->second) + " " + status;
    first = false;
    counts.erase(found);
  }
  for (const auto& [status, count] : counts) {
    text += (first ? " " : ", ") + std::to_string(count) + " " + status;
    first = false;
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", result.seconds);
  text += std::string(" in ") + seconds + " s";
  if (result.memory.peak_rss_bytes > 0) {
    text += "; peak memory RSS " + megabytes(result.memory.peak_rss_bytes);
    if (result.memory.peak_pss_bytes > 0) {
      text += ", PSS " + megabytes(result.memory.peak_pss_bytes);
    }
  }
  return text;
}

}  // namespace nbexec::cli
