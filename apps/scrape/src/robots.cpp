#include "scrape/robots.hpp"

#include <corio/http/fields.hpp>

#include <algorithm>
#include <charconv>
#include <system_error>

namespace scrape {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// RFC 9309 §2.2.3: '*' matches any sequence, '$' at the end anchors it; otherwise a prefix match.
bool matches(std::string_view pattern, std::string_view path) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // Classic wildcard matching with backtracking to the last '*'.
  std::size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (p == pattern.size() && !anchored) {
      return true;  // prefix match
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

/// The product token of a User-Agent ("corio-scrape/0.1 (x)" → "corio-scrape").
std::string_view product_token(std::string_view ua) {
  const auto end = ua.find_first_of("/ ");
  return ua.substr(0, end);
}

}  // namespace

robots_rules robots_rules::parse(std::string_view txt, std::string_view user_agent) {
  if (txt.size() > max_size) {
    // A rule cut in the middle could say more than the file does ("Disallow: /" of "/private").
    txt = txt.substr(0, max_size);
    if (const auto nl = txt.rfind('\n'); nl != std::string_view::npos) txt = txt.substr(0, nl + 1);
  }
  if (txt.starts_with("\xEF\xBB\xBF")) txt.remove_prefix(3);
  const std::string_view me = product_token(user_agent);
  struct group {
    std::vector<std::string> agents;
    std::vector<rule> rules;
    double crawl_delay = 0;
  };
  std::vector<group> groups;
  bool in_agents = false;  // consecutive user-agent lines share one group
  while (!txt.empty()) {
    const auto nl = txt.find('\n');
    std::string_view line = txt.substr(0, nl);
    txt = nl == std::string_view::npos ? std::string_view{} : txt.substr(nl + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (corio::http::iequals(key, "user-agent")) {
      if (!in_agents) groups.emplace_back();
      groups.back().agents.emplace_back(value);
      in_agents = true;
    } else if (corio::http::iequals(key, "allow") || corio::http::iequals(key, "disallow")) {
      in_agents = false;
      if (groups.empty()) continue;  // rules before any user-agent line apply to nobody
      if (value.empty()) continue;   // "Disallow:" (empty) allows everything
      groups.back().rules.push_back({std::string(value), corio::http::iequals(key, "allow")});
    } else if (corio::http::iequals(key, "crawl-delay")) {
      in_agents = false;
      double d = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
      if (!groups.empty() && ec == std::errc() && end == value.data() + value.size() && d > 0) {
        groups.back().crawl_delay = std::min(d, max_crawl_delay);
      }
    } else {
      in_agents = false;  // other records (sitemap) end the agent list
    }
  }
  robots_rules out;
  const group* star = nullptr;
  const group* mine = nullptr;
  for (const auto& g : groups) {
    for (const auto& a : g.agents) {
      if (a == "*") star = star ? star : &g;
      else if (!me.empty() && corio::http::iequals(a, me)) mine = mine ? mine : &g;
    }
  }
  if (const group* g = mine ? mine : star) {
    out.rules_ = g->rules;
    out.crawl_delay_ = g->crawl_delay;
  }
  return out;
}

bool robots_rules::allowed(std::string_view path) const {
  if (path == "/robots.txt") return true;
  if (rules_.empty()) return default_allow_;
  const rule* best = nullptr;
  for (const auto& r : rules_) {
    if (!matches(r.pattern, path)) continue;
    if (!best || r.pattern.size() > best->pattern.size() ||
        (r.pattern.size() == best->pattern.size() && r.allow && !best->allow)) {
      best = &r;
    }
  }
  return best ? best->allow : true;
}

}  // namespace scrape
