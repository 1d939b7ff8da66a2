#include "run/secret_mask.hpp"

#include <nbexec/secrets.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

namespace nbexec::run_detail {
namespace {

using json = nlohmann::json;

std::string hex_escape(const char* format, unsigned value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// The inside of Python's repr() of the string: backslash, the quote repr chose, \n \r \t and
// other control characters escaped; printable non-ASCII kept as it is.
std::string python_repr_inside(const std::string& value, char quote) {
  std::string out;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == quote) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += hex_escape("\\x%02x", byte);
    } else {
      out += c;
    }
  }
  return out;
}

// Decodes one UTF-8 sequence at `at` (the byte itself when it is not valid UTF-8).
unsigned next_code_point(const std::string& text, std::size_t& at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  const std::size_t extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (extra == 0 || at + extra >= text.size()) {
    ++at;
    return lead;
  }
  unsigned code = lead & (0x3F >> extra);
  for (std::size_t i = 1; i <= extra; ++i) {
    code = (code << 6) | (static_cast<unsigned char>(text[at + i]) & 0x3F);
  }
  at += extra + 1;
  return code;
}

// The inside of json.dumps() of the string; `ascii` as with ensure_ascii=True (the default),
// non-ASCII as \uXXXX (surrogate pairs above the BMP).
std::string json_inside(const std::string& value, bool ascii) {
  const std::string quoted = json(value).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out = quoted.substr(1, quoted.size() - 2);
  if (!ascii) return out;
  std::string escaped;
  for (std::size_t at = 0; at < out.size();) {
    if (static_cast<unsigned char>(out[at]) < 0x80) {
      escaped += out[at++];
      continue;
    }
    unsigned code = next_code_point(out, at);
    if (code >= 0x10000) {
      code -= 0x10000;
      escaped += hex_escape("\\u%04x", 0xD800 + (code >> 10));
      escaped += hex_escape("\\u%04x", 0xDC00 + (code & 0x3FF));
    } else {
      escaped += hex_escape("\\u%04x", code);
    }
  }
  return escaped;
}

// html.escape(value): what text/html outputs (pandas, IPython.display.HTML) show.
std::string html_escaped(const std::string& value) {
  std::string out;
  for (const char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#x27;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// MIME types whose data is base64 of binary content: masking inside it would corrupt the
// image, and a secret's text does not appear there as such.
bool is_binary_mime(const std::string& mime) {
  if (mime.rfind("image/", 0) == 0) return mime.find("svg") == std::string::npos;
  return mime.rfind("audio/", 0) == 0 || mime.rfind("video/", 0) == 0 ||
         mime == "application/pdf" || mime == "application/octet-stream";
}

void mask_strings(const SecretMask& mask, json& value);

// An object's keys are text a cell chose too ({token: 1} displayed as JSON, a recorded
// scrap): masked like values. Two keys that mask alike get "#2", "#3"... so neither value is
// lost.
void mask_keys(const SecretMask& mask, json& object) {
  bool any = false;
  for (auto it = object.begin(); it != object.end() && !any; ++it) {
    any = mask.apply(it.key()) != it.key();
  }
  if (!any) return;
  json masked = json::object();
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string base = mask.apply(it.key());
    std::string key = base;
    for (int n = 2; masked.contains(key) || (key != it.key() && object.contains(key)); ++n) {
      key = base + "#" + std::to_string(n);
    }
    masked[key] = std::move(it.value());
  }
  object = std::move(masked);
}

void mask_strings(const SecretMask& mask, json& value) {
  if (value.is_string()) {
    value = mask.apply(value.get<std::string>());
  } else if (value.is_array()) {
    for (json& item : value) mask_strings(mask, item);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.key() == "data" && it->is_object()) {
        for (auto entry = it->begin(); entry != it->end(); ++entry) {
          if (!is_binary_mime(entry.key())) mask_strings(mask, entry.value());
        }
        mask_keys(mask, it.value());  // not only a MIME bundle: a scrap's "data" too
      } else {
        mask_strings(mask, it.value());
      }
    }
    mask_keys(mask, value);
  }
}

}  // namespace

std::vector<std::string> secret_forms(const std::string& value) {
  std::vector<std::string> forms = {value,
                                    python_repr_inside(value, '\''),
                                    python_repr_inside(value, '"'),
                                    json_inside(value, true),
                                    json_inside(value, false),
                                    html_escaped(value)};
  std::sort(forms.begin(), forms.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  forms.erase(std::remove(forms.begin(), forms.end(), std::string()), forms.end());
  return forms;
}

SecretMask::SecretMask(const std::map<std::string, std::string>& secrets) {
  for (const auto& [name, value] : secrets) {
    for (auto& form : secret_forms(value)) forms_.push_back(std::move(form));
  }
  std::sort(forms_.begin(), forms_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  forms_.erase(std::unique(forms_.begin(), forms_.end()), forms_.end());
}

std::string SecretMask::apply(std::string text) const {
  for (const std::string& form : forms_) {
    for (std::size_t at = text.find(form); at != std::string::npos;
         at = text.find(form, at + std::char_traits<char>::length(secret_mask))) {
      text.replace(at, form.size(), secret_mask);
    }
  }
  return text;
}

void SecretMask::apply(json& value) const {
  if (!empty()) mask_strings(*this, value);
}

std::size_t SecretMask::unfinished_tail(const std::string& masked) const {
  if (forms_.empty()) return 0;
  // Only text after the last mask is the kernel's own: a mask's characters never start a
  // form, and text masked once must not be masked again.
  const std::size_t last_mask = masked.rfind(secret_mask);
  std::size_t from = last_mask == std::string::npos ? 0 : last_mask + std::strlen(secret_mask);
  const std::size_t longest = forms_.front().size() - 1;  // a whole form was masked already
  if (masked.size() > longest) from = std::max(from, masked.size() - longest);
  const std::string_view text(masked);
  for (std::size_t at = from; at < text.size(); ++at) {
    const std::string_view tail = text.substr(at);
    for (const std::string& form : forms_) {
      if (form.size() > tail.size() && std::string_view(form).substr(0, tail.size()) == tail) {
        return tail.size();
      }
    }
  }
  return 0;
}

std::string SecretStreamMask::feed(const std::string&, const std::string& text) {
  std::string masked = mask_.apply(std::exchange(held_, std::string()) + text);
  const std::size_t hold = mask_.unfinished_tail(masked);
  held_ = masked.substr(masked.size() - hold);
  masked.resize(masked.size() - hold);
  return masked;
}

std::string SecretStreamMask::release() {
  return std::exchange(held_, std::string());
}

std::string RunStreamMasks::feed(const std::string& stream_name, const std::string& text) {
  auto stream = streams_.try_emplace(stream_name, mask_).first;
  return stream->second.feed(stream_name, text);
}

std::vector<std::pair<std::string, std::string>> RunStreamMasks::release() {
  std::vector<std::pair<std::string, std::string>> held;
  for (auto& [name, stream] : streams_) {
    std::string text = stream.release();
    if (!text.empty()) held.emplace_back(name, std::move(text));
  }
  return held;
}

}  // namespace nbexec::run_detail
