#include <corio/redis/error.hpp>
#include <corio/redis/resp.hpp>

#include <algorithm>

namespace corio::redis {

void resp_parser::fail(const std::string& what) { throw error(errc::protocol, what); }

std::int64_t resp_parser::parse_integer(std::string_view s) {
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || s.size() > 19) fail("not a 64-bit integer in a reply");
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') fail("not a 64-bit integer in a reply");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits cannot overflow 64 bits
  }
  constexpr std::uint64_t max = static_cast<std::uint64_t>(INT64_MAX);
  if (v > max + (negative ? 1 : 0)) fail("not a 64-bit integer in a reply");
  if (negative) return v == max + 1 ? INT64_MIN : -static_cast<std::int64_t>(v);
  return static_cast<std::int64_t>(v);
}

bool resp_parser::complete(reply r, std::optional<reply>& out) {
  for (;;) {
    if (stack_.empty()) {
      out = std::move(r);
      elements_ = 0;
      return true;
    }
    frame& f = stack_.back();
    f.elements.push_back(std::move(r));
    if (--f.remaining > 0) return false;
    r = reply::array(std::move(f.elements));
    stack_.pop_back();
  }
}

std::size_t resp_parser::parse(std::string_view in, std::optional<reply>& out) {
  std::size_t pos = 0;
  for (;;) {
    if (in_bulk_) {
      const std::size_t take = std::min(bulk_left_, in.size() - pos);
      bulk_.append(in.data() + pos, take);
      pos += take;
      bulk_left_ -= take;
      if (bulk_left_ > 0 || in.size() - pos < 2) return pos;
      if (in[pos] != '\r' || in[pos + 1] != '\n') fail("a bulk string is not followed by CRLF");
      pos += 2;
      in_bulk_ = false;
      std::string s;
      s.swap(bulk_);
      if (complete(reply::bulk_string(std::move(s)), out)) return pos;
      continue;
    }
    const std::string_view rest = in.substr(pos);
    const std::size_t cr = rest.substr(0, limits_.max_line_bytes + 1).find('\r');
    if (cr == std::string_view::npos) {
      if (rest.size() > limits_.max_line_bytes) fail("a line longer than the limit");
      return pos;
    }
    if (cr + 1 >= rest.size()) return pos;  // the LF has not arrived yet
    if (rest[cr + 1] != '\n') fail("a CR not followed by LF");
    if (cr == 0) fail("an empty line where a reply was expected");
    const char type = rest[0];
    const std::string_view body = rest.substr(1, cr - 1);
    pos += cr + 2;
    bool done = false;
    switch (type) {
      case '+': done = complete(reply::simple_string(std::string(body)), out); break;
      case '-': done = complete(reply::error(std::string(body)), out); break;
      case ':': done = complete(reply::integer(parse_integer(body)), out); break;
      case '$': {
        const std::int64_t n = parse_integer(body);
        if (n == -1) {
          done = complete(reply::null(), out);
          break;
        }
        if (n < -1) fail("a negative bulk string length");
        if (static_cast<std::uint64_t>(n) > limits_.max_bulk_bytes) {
          fail("a bulk string of " + std::to_string(n) + " bytes (limit " + std::to_string(limits_.max_bulk_bytes) +
               ")");
        }
        in_bulk_ = true;
        bulk_left_ = static_cast<std::size_t>(n);
        bulk_.clear();
        break;
      }
      case '*': {
        const std::int64_t n = parse_integer(body);
        if (n == -1) {
          done = complete(reply::null(), out);
          break;
        }
        if (n < -1) fail("a negative array length");
        if (static_cast<std::uint64_t>(n) > limits_.max_elements - elements_) {
          fail("an array of " + std::to_string(n) + " elements (limit " + std::to_string(limits_.max_elements) +
               " in one reply)");
        }
        if (n == 0) {
          done = complete(reply::array({}), out);
          break;
        }
        if (stack_.size() >= limits_.max_depth) fail("arrays nested deeper than the limit");
        elements_ += static_cast<std::size_t>(n);
        frame f;
        f.remaining = static_cast<std::size_t>(n);
        f.elements.reserve(std::min<std::size_t>(f.remaining, 1024));
        stack_.push_back(std::move(f));
        break;
      }
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(type);
        fail(std::string("an unexpected reply type byte 0x") + hex[u >> 4] + hex[u & 15]);
      }
    }
    if (done) return pos;
  }
}

}  // namespace corio::redis
