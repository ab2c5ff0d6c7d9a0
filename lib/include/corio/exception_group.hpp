// corio/exception_group.hpp — several errors raised together (Python's ExceptionGroup).
//
// task_group and supervisor throw it when children fail; it never holds cancellations.
// `contains<E>()` and `split<E>()` look through nested groups, like `except*`.
//
// Cancellation: not applicable (no suspension).  Exceptions: the constructor may throw bad_alloc.
// Thread safety: immutable after construction; const members are safe from any thread.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace corio {

class exception_group : public std::exception {
public:
  explicit exception_group(std::vector<std::exception_ptr> errors);

  /// The errors in the order they happened.
  [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept { return errors_; }
  [[nodiscard]] std::size_t size() const noexcept { return errors_.size(); }

  /// "2 errors: [1] what of first; [2] what of second".
  [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }

  /// True if any member (or a member of a nested group) is an E.
  template <typename E>
  [[nodiscard]] bool contains() const;

  /// Splits into (members that are E, the rest), each empty when nothing matches. Nested groups
  /// are split recursively and keep their nesting.
  template <typename E>
  [[nodiscard]] std::pair<std::optional<exception_group>, std::optional<exception_group>> split() const;

private:
  std::vector<std::exception_ptr> errors_;
  std::string what_;
};

/// Rethrows the first member of `group` (searching nested groups) that is an E; returns if none is.
template <typename E>
void rethrow_first(const exception_group& group);

// Implementation

namespace detail {
template <typename E>
bool holds(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

inline const exception_group* as_group(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const exception_group& g) {
    return &g;  // the exception object lives as long as `e`
  } catch (...) {
    return nullptr;
  }
}
}  // namespace detail

template <typename E>
bool exception_group::contains() const {
  for (const auto& e : errors_) {
    if (detail::holds<E>(e)) return true;
    if (const auto* g = detail::as_group(e); g && g->contains<E>()) return true;
  }
  return false;
}

template <typename E>
std::pair<std::optional<exception_group>, std::optional<exception_group>> exception_group::split() const {
  std::vector<std::exception_ptr> match, rest;
  for (const auto& e : errors_) {
    if (detail::holds<E>(e)) {
      match.push_back(e);
    } else if (const auto* g = detail::as_group(e)) {
      auto [m, r] = g->split<E>();
      if (m) match.push_back(std::make_exception_ptr(std::move(*m)));
      if (r) rest.push_back(std::make_exception_ptr(std::move(*r)));
    } else {
      rest.push_back(e);
    }
  }
  auto wrap = [](std::vector<std::exception_ptr> v) -> std::optional<exception_group> {
    if (v.empty()) return std::nullopt;
    return exception_group(std::move(v));
  };
  return {wrap(std::move(match)), wrap(std::move(rest))};
}

template <typename E>
void rethrow_first(const exception_group& group) {
  for (const auto& e : group.exceptions()) {
    if (detail::holds<E>(e)) std::rethrow_exception(e);
    if (const auto* g = detail::as_group(e)) rethrow_first<E>(*g);
  }
}

}  // namespace corio
