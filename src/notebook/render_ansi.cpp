#include "render_ansi.hpp"

#include "render_escape.hpp"

#include <array>
#include <cstdio>
#include <vector>

namespace nbexec::notebook::detail {
namespace {

// Jupyter's own palette (notebook/lab CSS), normal then bright.
constexpr std::array<const char*, 16> palette = {
    "#3e424d", "#e75c58", "#00a250", "#ddb62b", "#208ffb", "#d160c4", "#60c6c8", "#c5c1b4",
    "#282c36", "#b22b31", "#007427", "#b27d12", "#0065ca", "#a03196", "#258f8f", "#a1a6b2"};

std::string palette_colour(int index) {
  return palette.at(static_cast<std::size_t>(index));
}

struct Style {
  std::string fg;
  std::string bg;
  bool bold = false;
  bool underline = false;

  bool plain() const { return fg.empty() && bg.empty() && !bold && !underline; }
  bool operator==(const Style&) const = default;
};

std::string rgb(int r, int g, int b) {
  std::array<char, 16> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "#%02x%02x%02x", r & 255, g & 255, b & 255);
  return buffer.data();
}

std::string colour_256(int n) {
  if (n < 0 || n > 255) return "";
  if (n < 16) return palette_colour(n);
  if (n < 232) {
    const int i = n - 16;
    auto level = [](int v) { return v == 0 ? 0 : 55 + v * 40; };
    return rgb(level(i / 36), level(i / 6 % 6), level(i % 6));
  }
  const int grey = 8 + (n - 232) * 10;
  return rgb(grey, grey, grey);
}

// Applies one SGR parameter list to `style`.
void apply_sgr(const std::vector<int>& codes, Style& style) {
  if (codes.empty()) style = Style{};
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const int c = codes[i];
    if (c == 0) {
      style = Style{};
    } else if (c == 1) {
      style.bold = true;
    } else if (c == 22) {
      style.bold = false;
    } else if (c == 4) {
      style.underline = true;
    } else if (c == 24) {
      style.underline = false;
    } else if (c >= 30 && c <= 37) {
      style.fg = palette_colour(c - 30);
    } else if (c >= 90 && c <= 97) {
      style.fg = palette_colour(c - 90 + 8);
    } else if (c == 39) {
      style.fg.clear();
    } else if (c >= 40 && c <= 47) {
      style.bg = palette_colour(c - 40);
    } else if (c >= 100 && c <= 107) {
      style.bg = palette_colour(c - 100 + 8);
    } else if (c == 49) {
      style.bg.clear();
    } else if ((c == 38 || c == 48) && i + 1 < codes.size()) {
      std::string colour;
      if (codes[i + 1] == 5 && i + 2 < codes.size()) {
        colour = colour_256(codes[i + 2]);
        i += 2;
      } else if (codes[i + 1] == 2 && i + 4 < codes.size()) {
        colour = rgb(codes[i + 2], codes[i + 3], codes[i + 4]);
        i += 4;
      } else {
        ++i;
      }
      (c == 38 ? style.fg : style.bg) = colour;
    }
  }
}

void open_span(std::string& out, const Style& style) {
  out += "<span style=\"";
  if (!style.fg.empty()) out += "color:" + style.fg + ";";
  if (!style.bg.empty()) out += "background-color:" + style.bg + ";";
  if (style.bold) out += "font-weight:bold;";
  if (style.underline) out += "text-decoration:underline;";
  out += "\">";
}

// Each line keeps only what follows its last lone carriage return.
std::string fold_carriage_returns(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) {
      out.resize(line_start);
    } else if (c != '\r') {
      out += c;
      if (c == '\n') line_start = out.size();
    }
  }
  return out;
}

}  // namespace

std::string render_ansi(std::string_view raw) {
  const std::string text = fold_carriage_returns(raw);
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  Style current;
  Style wanted;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '\x1b') {
      std::size_t next = text.find('\x1b', i);
      if (next == std::string::npos) next = text.size();
      if (!(wanted == current)) {
        if (!current.plain()) out += "</span>";
        if (!wanted.plain()) open_span(out, wanted);
        current = wanted;
      }
      append_escaped(out, std::string_view(text).substr(i, next - i));
      i = next;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '[') {
      // CSI: parameters, then a final byte in @..~.
      std::size_t j = i + 2;
      while (j < text.size() && (text[j] < 0x40 || text[j] > 0x7e)) ++j;
      if (j < text.size() && text[j] == 'm') {
        std::vector<int> codes;
        int value = 0;
        bool any = false;
        for (std::size_t k = i + 2; k < j; ++k) {
          const char c = text[k];
          if (c >= '0' && c <= '9') {
            value = value < 100000 ? value * 10 + (c - '0') : value;
            any = true;
          } else if (c == ';' || c == ':') {
            codes.push_back(any ? value : 0);
            value = 0;
            any = false;
          }
        }
        if (any || !codes.empty()) codes.push_back(any ? value : 0);
        apply_sgr(codes, wanted);
      }
      i = j < text.size() ? j + 1 : j;
    } else {
      i += 2;  // another escape: the ESC and the byte after it
    }
  }
  if (!current.plain()) out += "</span>";
  return out;
}

}  // namespace nbexec::notebook::detail
