// corio/redis/command.hpp — one Redis command (its name and arguments), encoded as RESP as it is
// built: an array of bulk strings, so arguments may hold any bytes.
//
//   corio::redis::command set("SET", key, value, "EX", 60);      // strings and integers
//   corio::redis::command xadd("XADD");
//   xadd.arg(stream).arg("*");
//   for (auto& [f, v] : fields) xadd.arg(f).arg(v);
//   auto r = co_await client.exec(std::move(xadd));
//
// (GCC 12: build a command as a named variable, or through client::call(args...), rather than as
// a braced temporary inside a co_await expression; CONTRIBUTING.md, "GCC 12 coroutine pitfalls".)
//
// Cancellation: not applicable.  Exceptions: std::bad_alloc only.
// Thread safety: a value type.
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace corio::redis {

/// What an argument can be: anything convertible to std::string_view (sent as is), or an integer
/// other than bool and char (sent in decimal).
template <typename A>
concept command_arg = std::is_convertible_v<const A&, std::string_view> ||
                      (std::integral<A> && !std::same_as<A, bool> && !std::same_as<A, char>);

class command {
public:
  command() = default;

  /// The name and the arguments, in order.
  template <command_arg... A>
    requires(sizeof...(A) > 0)
  explicit command(const A&... args) {
    (arg(args), ...);
  }

  command& arg(std::string_view a);
  command& arg(long long v);
  template <typename I>
    requires(std::integral<I> && !std::same_as<I, bool> && !std::same_as<I, char> &&
             !std::same_as<I, long long>)
  command& arg(I v) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(long long)) {
      return arg(std::string_view(std::to_string(v)));
    } else {
      return arg(static_cast<long long>(v));
    }
  }

  /// Every element of a range of arguments (strings or integers).
  template <typename R>
    requires requires(const R& r) {
      std::begin(r);
      std::end(r);
    }
  command& args(const R& r) {
    for (const auto& a : r) arg(a);
    return *this;
  }

  /// Room for `bytes` more bytes of arguments (their lengths plus about 16 each), so that a
  /// command of many arguments is built without growing its buffer again and again.
  void reserve(std::size_t bytes) { body_.reserve(body_.size() + bytes); }

  /// The number of words: the name and its arguments.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The command's name (its first word) as given.
  [[nodiscard]] std::string_view name() const noexcept { return name_; }

  /// Appends the command in RESP ("*<n>\r\n$<len>\r\n<word>\r\n...") to `out`.
  void encode_to(std::string& out) const;
  /// The RESP bytes of the command.
  [[nodiscard]] std::string encoded() const;

private:
  std::string body_;  // "$<len>\r\n<word>\r\n" for every word
  std::string name_;
  std::size_t size_ = 0;
};

}  // namespace corio::redis
