// corio/http/fields.hpp — an ordered list of HTTP header fields with case-insensitive lookup.
//
//   corio::http::fields h{{"Accept", "text/html"}};
//   h.set("User-Agent", "me/1.0");
//   if (auto ct = response.headers.get("content-type")) ...;   // std::optional<std::string_view>
//
// Names compare case-insensitively (RFC 9110); order and repeated fields are kept as received.
// Adding a name or value containing CR, LF or NUL is refused (it would let a caller inject
// headers): std::invalid_argument.
//
// Cancellation: not applicable.  Exceptions: std::invalid_argument as above; std::bad_alloc.
// Thread safety: a value type; const members are safe from any thread.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corio::http {

class fields {
public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  fields() = default;
  fields(std::initializer_list<value_type> init);

  /// Appends a field (repeats are kept).
  void add(std::string_view name, std::string_view value);
  /// Replaces every field called `name` by one with `value`.
  void set(std::string_view name, std::string_view value);
  /// Removes every field called `name`; returns how many.
  std::size_t erase(std::string_view name);

  /// The first value of `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
  [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const;

  [[nodiscard]] const_iterator begin() const noexcept { return v_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return v_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return v_.size(); }
  [[nodiscard]] bool empty() const noexcept { return v_.empty(); }

  /// Room for `n` fields without reallocating.
  void reserve(std::size_t n) { v_.reserve(n); }
  /// Appends without validation; for the response parser, whose input the HTTP grammar checked.
  void add_unchecked(std::string_view name, std::string_view value) { v_.emplace_back(name, value); }

private:
  std::vector<value_type> v_;
};

/// ASCII case-insensitive equality (header names, tokens).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace corio::http
