#include <corio/http/fields.hpp>
#include <corio/http/request.hpp>

#include <algorithm>
#include <stdexcept>

namespace corio::http {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

void check(std::string_view name, std::string_view value) {
  auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  if (name.empty() || std::any_of(name.begin(), name.end(), [&](char c) { return bad(c) || c == ':' || c == ' '; })) {
    throw std::invalid_argument("corio::http::fields: invalid header field name '" + std::string(name) + "'");
  }
  if (std::any_of(value.begin(), value.end(), bad)) {
    throw std::invalid_argument("corio::http::fields: header field '" + std::string(name) +
                                "' has a value with CR, LF or NUL");
  }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

fields::fields(std::initializer_list<value_type> init) {
  for (const auto& [n, v] : init) add(n, v);
}

void fields::add(std::string_view name, std::string_view value) {
  check(name, value);
  v_.emplace_back(name, value);
}

void fields::set(std::string_view name, std::string_view value) {
  check(name, value);
  erase(name);
  v_.emplace_back(name, value);
}

std::size_t fields::erase(std::string_view name) {
  const auto before = v_.size();
  std::erase_if(v_, [&](const value_type& f) { return iequals(f.first, name); });
  return before - v_.size();
}

std::optional<std::string_view> fields::get(std::string_view name) const {
  for (const auto& f : v_) {
    if (iequals(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

std::vector<std::string_view> fields::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : v_) {
    if (iequals(f.first, name)) out.emplace_back(f.second);
  }
  return out;
}

bool is_idempotent(std::string_view method) noexcept {
  for (std::string_view m : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"}) {
    if (iequals(method, m)) return true;
  }
  return false;
}

}  // namespace corio::http
