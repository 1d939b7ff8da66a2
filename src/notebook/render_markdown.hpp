#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::notebook::detail {

// Markdown (GitHub's dialect: tables, strikethrough, task lists, autolinks) as HTML, through
// md4c. Raw HTML in the markdown is shown as text, never passed through; link targets other
// than http(s), mailto or relative ones become "#", and image sources other than data: images
// or attachments are dropped. `attachments` (a cell's "attachments", or null) turns
// ![](attachment:NAME) into a data: URI.
std::string render_markdown(std::string_view source, const nlohmann::json& attachments = {});

// The image mime types the page shows inline (PNG, JPEG, GIF, SVG: the last through <img>,
// where an SVG cannot run script).
bool is_inline_image_mime(std::string_view mime);

// `data:MIME;base64,...` for an image payload as a notebook stores it (SVG as text, the others
// base64); "" when it cannot be shown.
std::string image_data_uri(std::string_view mime, const nlohmann::json& payload);

}  // namespace nbexec::notebook::detail
