#include <corio/http/cookies.hpp>

#include <corio/http/url.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

namespace corio::http {

namespace {

using time_point = cookie::time_point;
using namespace std::chrono;

constexpr auto max_lifetime = hours(24 * 400);
constexpr std::size_t max_attribute_bytes = 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  return !ec;
}

/// RFC 6265 §5.1.3: `host` is `domain` or a name under it (and not an IP address).
bool domain_match(const std::string& host, const std::string& domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.' &&
         !is_ip(host);
}

/// RFC 6265 §5.1.4.
bool path_match(std::string_view request_path, std::string_view cookie_path) {
  if (request_path == cookie_path) return true;
  if (!request_path.starts_with(cookie_path)) return false;
  return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

std::string default_path(std::string_view uri_path) {
  if (uri_path.empty() || uri_path.front() != '/') return "/";
  const auto last = uri_path.rfind('/');
  if (last == 0) return "/";
  return std::string(uri_path.substr(0, last));
}

/// RFC 6265 §5.1.1, the cookie-date algorithm (lenient about everything but the values).
std::optional<time_point> parse_cookie_date(std::string_view s) {
  auto delimiter = [](unsigned char c) {
    return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
           (c >= 0x7b && c <= 0x7e);
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  // Leading 1..max digits followed by a non-digit or the end; returns the value and their count.
  auto digits = [&](std::string_view t, std::size_t min, std::size_t max) -> std::optional<int> {
    std::size_t n = 0;
    while (n < t.size() && digit(t[n])) ++n;
    if (n < min || n > max) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  std::optional<int> hour, minute, second, day, month, year;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && delimiter(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !delimiter(static_cast<unsigned char>(s[j]))) ++j;
    const std::string_view tok = s.substr(i, j - i);
    i = j;
    if (tok.empty()) continue;
    if (!hour) {  // hms-time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT, then anything but a digit
      const auto c1 = tok.find(':');
      const auto c2 = c1 == std::string_view::npos ? c1 : tok.find(':', c1 + 1);
      if (c2 != std::string_view::npos) {
        const auto hh = tok.substr(0, c1), mm = tok.substr(c1 + 1, c2 - c1 - 1);
        auto h = digits(hh, 1, 2);
        auto m = digits(mm, 1, 2);
        auto sec = digits(tok.substr(c2 + 1), 1, 2);
        const auto only_digits = [](std::string_view f) { return f.find_first_not_of("0123456789") == f.npos; };
        if (h && m && sec && only_digits(hh) && only_digits(mm)) {
          hour = h;
          minute = m;
          second = sec;
          continue;
        }
      }
    }
    if (!day) {
      if (auto d = digits(tok, 1, 2)) {
        day = d;
        continue;
      }
    }
    if (!month && tok.size() >= 3) {
      static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                    "jul", "aug", "sep", "oct", "nov", "dec"};
      const std::string m = lower(tok.substr(0, 3));
      const auto it = std::find(std::begin(months), std::end(months), m);
      if (it != std::end(months)) {
        month = static_cast<int>(it - std::begin(months)) + 1;
        continue;
      }
    }
    if (!year) {
      if (auto y = digits(tok, 2, 4)) {
        year = y;
        continue;
      }
    }
  }
  if (!hour || !day || !month || !year) return std::nullopt;
  int y = *year;
  if (y >= 70 && y <= 99) y += 1900;
  if (y >= 0 && y <= 69) y += 2000;
  if (*day < 1 || *day > 31 || y < 1601 || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  const year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(*month)},
                           std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  // (system_clock counts nanoseconds: about 1678 to 2262.)
  if (y < 1970) return time_point::min();
  if (y >= 2200) return time_point::max();
  return time_point(sys_days(ymd)) + hours(*hour) + minutes(*minute) + seconds(*second);
}

/// The request host as cookies see it: lower case, an IPv6 address without brackets.
std::string host_of(const boost::urls::url_view_base& u) { return lower(u.host_address()); }

std::string path_of(const boost::urls::url_view_base& u) {
  const std::string p(u.encoded_path());
  return p.empty() ? "/" : p;
}

time_point capped(time_point now, seconds delta) {
  if (delta > max_lifetime) delta = duration_cast<seconds>(max_lifetime);
  return now + delta;
}

}  // namespace

cookie_jar::cookie_jar() : cookie_jar(limits{}) {}

cookie_jar::cookie_jar(limits l, std::function<time_point()> now) : limits_(l), now_(std::move(now)) {
  limits_.per_domain = std::max<std::size_t>(limits_.per_domain, 1);
  limits_.total = std::max<std::size_t>(limits_.total, 1);
}

time_point cookie_jar::now() const { return now_ ? now_() : system_clock::now(); }

bool cookie_jar::set_cookie(std::string_view url, std::string_view set_cookie) {
  return this->set_cookie(parse_url(url), set_cookie);
}

std::string cookie_jar::cookie_header(std::string_view url) { return cookie_header(parse_url(url)); }

bool cookie_jar::set_cookie(const boost::urls::url_view_base& url, std::string_view line) {
  const time_point t = now();
  // §5.2: the name-value pair, then the attributes.
  const auto semi = line.find(';');
  const std::string_view pair = line.substr(0, semi);
  const auto eq = pair.find('=');
  if (eq == std::string_view::npos) return false;
  cookie c;
  c.name = std::string(trim(pair.substr(0, eq)));
  c.value = std::string(trim(pair.substr(eq + 1)));
  if (c.name.empty() || has_control(c.name) || has_control(c.value)) return false;
  if (c.name.size() + c.value.size() > limits_.max_cookie_bytes) return false;
  std::optional<time_point> max_age, expires;
  std::optional<std::string> domain, path;
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
  while (!rest.empty()) {
    const auto next = rest.find(';');
    const std::string_view av = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const auto aeq = av.find('=');
    const std::string name = lower(trim(av.substr(0, aeq)));
    const std::string_view value = aeq == std::string_view::npos ? std::string_view() : trim(av.substr(aeq + 1));
    if (value.size() > max_attribute_bytes) return false;
    if (name == "expires") {
      if (auto d = parse_cookie_date(value)) expires = d;
    } else if (name == "max-age") {
      if (value.empty() || !(value[0] == '-' || (value[0] >= '0' && value[0] <= '9'))) continue;
      const std::string_view digits = value[0] == '-' ? value.substr(1) : value;
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
      if (value[0] == '-' || digits.find_first_not_of('0') == std::string_view::npos) {
        max_age = time_point::min();
      } else {
        long long secs = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), secs);
        if (ec == std::errc::result_out_of_range) secs = std::numeric_limits<long long>::max();
        max_age = capped(t, seconds(std::min<long long>(secs, duration_cast<seconds>(max_lifetime).count())));
      }
    } else if (name == "domain") {
      if (value.empty()) continue;
      std::string_view d = value;
      if (d.front() == '.') d.remove_prefix(1);
      domain = lower(d);
    } else if (name == "path") {
      path = value.empty() || value.front() != '/' ? std::optional<std::string>() : std::string(value);
    } else if (name == "secure") {
      c.secure = true;
    } else if (name == "httponly") {
      c.http_only = true;
    }
  }
  // §5.3: storage.
  if (max_age) {
    c.persistent = true;
    c.expires = *max_age;
  } else if (expires) {
    c.persistent = true;
    c.expires = std::min(*expires, capped(t, duration_cast<seconds>(max_lifetime)));
  }
  const std::string host = host_of(url);
  if (domain && !domain->empty()) {
    if (domain->find('.') == std::string::npos && !is_ip(*domain)) {  // a public suffix ("com")
      if (*domain != host) return false;
      domain.reset();  // the host itself: host-only
    }
  }
  if (domain && !domain->empty()) {
    if (!domain_match(host, *domain)) return false;
    c.host_only = false;
    c.domain = *domain;
  } else {
    c.host_only = true;
    c.domain = host;
  }
  c.path = path ? *path : default_path(path_of(url));
  const bool secure_channel = url.scheme_id() == boost::urls::scheme::https;
  if (c.secure && !secure_channel) return false;
  c.created = c.last_access = t;

  std::lock_guard lk(mu_);
  auto& list = by_domain_[c.domain];
  auto old = std::find_if(list.begin(), list.end(), [&](const cookie& o) {
    return o.name == c.name && o.path == c.path;
  });
  if (old != list.end()) {
    c.created = old->created;
    c.order = old->order;
    list.erase(old);
    --count_;
  } else {
    c.order = next_order_++;
  }
  if (c.expires <= t) {  // a deletion
    if (list.empty()) by_domain_.erase(c.domain);
    return true;
  }
  list.push_back(std::move(c));
  ++count_;
  evict(&list, t);
  return true;
}

void cookie_jar::evict(std::vector<cookie>* domain_list, time_point t) {
  auto expired = [&](const cookie& k) { return k.expires <= t; };
  auto lru = [](const cookie& a, const cookie& b) {
    return a.last_access != b.last_access ? a.last_access < b.last_access : a.order < b.order;
  };
  if (domain_list->size() > limits_.per_domain) {
    count_ -= std::erase_if(*domain_list, expired);
    while (domain_list->size() > limits_.per_domain) {
      domain_list->erase(std::min_element(domain_list->begin(), domain_list->end(), lru));
      --count_;
    }
  }
  if (count_ > limits_.total) {
    for (auto& [d, l] : by_domain_) count_ -= std::erase_if(l, expired);
    while (count_ > limits_.total) {
      std::vector<cookie>* where = nullptr;
      std::vector<cookie>::iterator victim;
      for (auto& [d, l] : by_domain_) {
        if (l.empty()) continue;
        auto m = std::min_element(l.begin(), l.end(), lru);
        if (!where || lru(*m, *victim)) {
          where = &l;
          victim = m;
        }
      }
      where->erase(victim);
      --count_;
    }
  }
  std::erase_if(by_domain_, [](const auto& kv) { return kv.second.empty(); });
}

void cookie_jar::store(const boost::urls::url_view_base& url, const fields& response_headers) {
  for (auto v : response_headers.get_all("Set-Cookie")) (void)set_cookie(url, v);
}

std::string cookie_jar::cookie_header(const boost::urls::url_view_base& url) {
  const time_point t = now();
  const std::string host = host_of(url);
  const std::string path = path_of(url);
  const bool secure_channel = url.scheme_id() == boost::urls::scheme::https;
  std::vector<cookie*> out;
  std::lock_guard lk(mu_);
  if (by_domain_.empty()) return {};
  // The domains a cookie for this host can have: the host, and (for a name) each parent domain.
  std::vector<std::string> domains{host};
  if (!is_ip(host)) {
    for (auto dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1)) {
      domains.push_back(host.substr(dot + 1));
    }
  }
  for (const auto& d : domains) {
    auto it = by_domain_.find(d);
    if (it == by_domain_.end()) continue;
    count_ -= std::erase_if(it->second, [&](const cookie& k) { return k.expires <= t; });
    for (auto& k : it->second) {
      if (k.host_only && k.domain != host) continue;
      if (!path_match(path, k.path)) continue;
      if (k.secure && !secure_channel) continue;
      out.push_back(&k);
    }
  }
  std::sort(out.begin(), out.end(), [](const cookie* a, const cookie* b) {
    if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
    if (a->created != b->created) return a->created < b->created;
    return a->order < b->order;
  });
  std::string header;
  for (auto* k : out) {
    k->last_access = t;
    if (!header.empty()) header += "; ";
    header += k->name;
    header += '=';
    header += k->value;
  }
  std::erase_if(by_domain_, [](const auto& kv) { return kv.second.empty(); });
  return header;
}

std::vector<cookie> cookie_jar::cookies() const {
  const time_point t = now();
  std::lock_guard lk(mu_);
  std::vector<cookie> v;
  for (const auto& [d, l] : by_domain_) {
    for (const auto& k : l) {
      if (k.expires > t) v.push_back(k);
    }
  }
  return v;
}

std::size_t cookie_jar::size() const { return cookies().size(); }

void cookie_jar::clear() {
  std::lock_guard lk(mu_);
  by_domain_.clear();
  count_ = 0;
}

std::string cookie_jar::to_netscape() const {
  auto all = cookies();
  std::sort(all.begin(), all.end(), [](const cookie& a, const cookie& b) { return a.order < b.order; });
  std::string out = "# Netscape HTTP Cookie File\n# Written by corio::http::cookie_jar.\n\n";
  for (const auto& k : all) {
    if (k.http_only) out += "#HttpOnly_";
    out += k.host_only ? k.domain : "." + k.domain;
    out += k.host_only ? "\tFALSE\t" : "\tTRUE\t";
    out += k.path;
    out += k.secure ? "\tTRUE\t" : "\tFALSE\t";
    out += std::to_string(k.persistent ? duration_cast<seconds>(k.expires.time_since_epoch()).count() : 0);
    out += '\t';
    out += k.name;
    out += '\t';
    out += k.value;
    out += '\n';
  }
  return out;
}

}  // namespace corio::http
