// corio/redis/reply.hpp — one RESP2 reply: null, integer, simple string, error, bulk string or
// array (of replies, nested), with accessors that check the type.
//
//   auto r = co_await c.call("HGETALL", "h");          // an array
//   for (std::size_t i = 0; i + 1 < r.size(); i += 2) use(r[i].as_string(), r[i + 1].as_string());
//   std::optional<std::string> v = (co_await c.call("GET", "k")).as_optional_string();  // nil → {}
//   long long n = (co_await c.call("INCR", "n")).as_integer();
//
// Strings are bytes (bulk strings may hold anything, NUL included). An error reply is a value
// here; client::exec turns it into corio::redis::error (errc::server), a batch returns it as is.
//
// Cancellation: not applicable.
// Exceptions: an accessor used on a reply of another type throws corio::redis::error
// (errc::reply_type, naming both types); operator[] out of range throws std::out_of_range.
// Thread safety: a value type; const members are safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corio::redis {

enum class reply_type { null, integer, simple_string, error, bulk_string, array };

/// "null", "integer", "simple_string", "error", "bulk_string", "array".
[[nodiscard]] std::string_view to_string(reply_type t) noexcept;

class reply {
public:
  /// A null reply.
  reply() = default;

  [[nodiscard]] static reply null() { return {}; }
  [[nodiscard]] static reply integer(std::int64_t v);
  [[nodiscard]] static reply simple_string(std::string s);
  [[nodiscard]] static reply error(std::string message);
  [[nodiscard]] static reply bulk_string(std::string s);
  [[nodiscard]] static reply array(std::vector<reply> elements);

  [[nodiscard]] reply_type type() const noexcept { return type_; }
  [[nodiscard]] bool is_null() const noexcept { return type_ == reply_type::null; }
  [[nodiscard]] bool is_integer() const noexcept { return type_ == reply_type::integer; }
  [[nodiscard]] bool is_error() const noexcept { return type_ == reply_type::error; }
  [[nodiscard]] bool is_array() const noexcept { return type_ == reply_type::array; }
  /// A simple or a bulk string.
  [[nodiscard]] bool is_string() const noexcept {
    return type_ == reply_type::simple_string || type_ == reply_type::bulk_string;
  }

  /// An integer reply's value.
  [[nodiscard]] std::int64_t as_integer() const;
  /// A simple or bulk string's bytes.
  [[nodiscard]] const std::string& as_string() const&;
  [[nodiscard]] std::string as_string() &&;
  /// A string's bytes, or empty for null (GET of a missing key).
  [[nodiscard]] std::optional<std::string> as_optional_string() const;
  /// An error reply's text ("ERR unknown command ...").
  [[nodiscard]] const std::string& error_message() const;
  /// An array's elements.
  [[nodiscard]] const std::vector<reply>& as_array() const&;
  [[nodiscard]] std::vector<reply> as_array() &&;

  /// Array elements (size() is 0 for anything but an array).
  [[nodiscard]] std::size_t size() const noexcept { return elements_.size(); }
  [[nodiscard]] const reply& operator[](std::size_t i) const;

  /// Throws corio::redis::error (errc::server with the message) if this is an error reply.
  const reply& throw_if_error() const;

  /// A readable rendering for logs and test messages: 42, "text", (nil), (error) ERR x, [a, b].
  [[nodiscard]] std::string to_string() const;

  bool operator==(const reply&) const = default;

private:
  [[noreturn]] void wrong_type(reply_type wanted) const;

  reply_type type_ = reply_type::null;
  std::int64_t integer_ = 0;
  std::string string_;           // simple, error or bulk string
  std::vector<reply> elements_;  // array
};

}  // namespace corio::redis
