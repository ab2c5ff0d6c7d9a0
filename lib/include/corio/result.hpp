// corio/result.hpp — a value or the exception that prevented it (gather_settled's element type).
//
// Cancellation: not applicable.  Exceptions: value() rethrows the stored exception.
// Thread safety: like any value type; const members are safe from any thread.
#pragma once

#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace corio {

template <typename T>
class result {
public:
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  result(value_type v) : v_(std::in_place_index<0>, std::move(v)) {}
  result(std::exception_ptr e) : v_(std::in_place_index<1>, std::move(e)) {
    if (!std::get<1>(v_)) throw std::invalid_argument("corio::result: null exception_ptr");
  }

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; rethrows the stored exception when there is none.
  value_type& value() & {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  const value_type& value() const& {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  value_type&& value() && { return std::move(value()); }

  /// The exception, or null when there is a value.
  [[nodiscard]] std::exception_ptr error() const noexcept {
    return has_value() ? nullptr : std::get<1>(v_);
  }

private:
  std::variant<value_type, std::exception_ptr> v_;
};

}  // namespace corio
