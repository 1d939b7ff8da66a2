#pragma once

#include <nbexec/protocol/message.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace nbexec::execute {

using json = nlohmann::json;

// Turns IOPub messages into cell outputs the way nbclient's NotebookClient does
// (process_message / output / clear_output / _update_display_id): one output per
// stream/display_data/execute_result/error message, clear_output(wait=True) deferred until
// the next output, update_display_data applied to every output with that display_id in any
// cell, `transient` never stored, comm messages ignored.
class OutputBuilder {
 public:
  // Call before a cell starts: resets its outputs and pending clear.
  void begin_cell(json& cell, std::size_t cell_index);

  // Applies one IOPub message whose parent is the running cell. `cells` is the notebook's cell
  // array (display updates can reach earlier cells). Returns the output appended, or nullptr.
  const json* handle(const protocol::Message& message, json& cells, std::size_t cell_index);

  // Adds `text` to the end of the cell's last output when that is stream `name` and no
  // clear_output(wait=True) is pending; false, and nothing changed, otherwise. For text a
  // stream filter held back, which belongs to the stream's last message.
  bool extend_last_stream(json& cell, const std::string& name, const std::string& text) const;

 private:
  void clear_outputs(json& cell, std::size_t cell_index);
  void update_display(const std::string& display_id, const json& content, json& cells);

  bool clear_before_next_output_ = false;
  // display_id -> cell index -> output indices, as nbclient's _display_id_map.
  std::map<std::string, std::map<std::size_t, std::vector<std::size_t>>> display_ids_;
};

// nbformat.v4.output_from_msg for stream, display_data, execute_result and error messages;
// a null json for any other message type.
json output_from_message(const std::string& msg_type, const json& content);

}  // namespace nbexec::execute
