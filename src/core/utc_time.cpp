#include "core/utc_time.hpp"

#include <cstdio>
#include <ctime>

namespace nbexec::detail {

std::string format_utc(std::chrono::system_clock::time_point time, std::string_view suffix,
                       Fraction fraction) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  long part = static_cast<long>(micros % 1000000);
  if (part < 0) {  // division truncates toward zero; the fraction must count forward
    part += 1000000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[48];
  int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900,
                        utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  if (fraction == Fraction::always || part != 0) {
    n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ".%06ld", part);
  }
  std::string out(text, static_cast<std::size_t>(n));
  out += suffix;
  return out;
}

}  // namespace nbexec::detail
