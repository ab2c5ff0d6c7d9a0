#include <serve/http_date.hpp>

#include <array>
#include <cstring>

namespace serve {

namespace {
constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const auto n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[static_cast<std::size_t>(tm.tm_wday)],
                               tm.tm_mday, months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                               tm.tm_min, tm.tm_sec);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string_view http_date_now() {
  thread_local std::time_t cached_at = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    cached = http_date(now);
    cached_at = now;
  }
  return cached;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int month_of(std::string_view name) {
  for (std::size_t i = 0; i < months.size(); ++i)
    if (name == months[i]) return static_cast<int>(i);
  return -1;
}

/// "HH:MM:SS" at `pos`.
bool clock_at(std::string_view s, std::size_t pos, std::tm& tm) {
  return pos + 8 <= s.size() && s[pos + 2] == ':' && s[pos + 5] == ':' && digits(s, pos, 2, tm.tm_hour) &&
         digits(s, pos + 3, 2, tm.tm_min) && digits(s, pos + 6, 2, tm.tm_sec);
}

std::optional<std::time_t> checked(std::tm& tm, int year) {
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) return std::nullopt;
  tm.tm_year = year - 1900;
  return timegm(&tm);
}

}  // namespace

std::optional<std::time_t> parse_http_date(std::string_view s) {
  std::tm tm{};
  int year = 0;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters).
  if (s.size() == 29 && s.substr(3, 2) == ", " && s.substr(25) == " GMT") {
    tm.tm_mon = month_of(s.substr(8, 3));
    if (tm.tm_mon < 0 || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || !digits(s, 5, 2, tm.tm_mday) ||
        !digits(s, 12, 4, year) || !clock_at(s, 17, tm)) {
      return std::nullopt;
    }
    return checked(tm, year);
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (24 characters; the day padded with a space).
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
    tm.tm_mon = month_of(s.substr(4, 3));
    const std::string_view day = s.substr(8, 2);
    const bool one_digit = day[0] == ' ';
    if (tm.tm_mon < 0 || !digits(s, one_digit ? 9 : 8, one_digit ? 1 : 2, tm.tm_mday) || !clock_at(s, 11, tm) ||
        !digits(s, 20, 4, year)) {
      return std::nullopt;
    }
    return checked(tm, year);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (the weekday in full). A two-digit year more than
  // 50 years ahead is the most recent past year with those digits (RFC 9110 5.6.7).
  const auto comma = s.find(", ");
  if (comma != std::string_view::npos && comma >= 6 && s.size() == comma + 24 && s.substr(comma + 20) == " GMT") {
    const std::size_t d = comma + 2;  // "06-Nov-94 08:49:37"
    tm.tm_mon = month_of(s.substr(d + 3, 3));
    if (tm.tm_mon < 0 || s[d + 2] != '-' || s[d + 6] != '-' || s[d + 9] != ' ' || !digits(s, d, 2, tm.tm_mday) ||
        !digits(s, d + 7, 2, year) || !clock_at(s, d + 10, tm)) {
      return std::nullopt;
    }
    std::tm now{};
    const std::time_t t = std::time(nullptr);
    gmtime_r(&t, &now);
    const int this_year = now.tm_year + 1900;
    year += this_year / 100 * 100;
    if (year > this_year + 50) year -= 100;
    return checked(tm, year);
  }
  return std::nullopt;
}

}  // namespace serve
