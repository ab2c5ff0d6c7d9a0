#include <corio/redis/error.hpp>
#include <corio/redis/reply.hpp>

#include <stdexcept>

namespace corio::redis {

std::string_view to_string(reply_type t) noexcept {
  switch (t) {
    case reply_type::null: return "null";
    case reply_type::integer: return "integer";
    case reply_type::simple_string: return "simple_string";
    case reply_type::error: return "error";
    case reply_type::bulk_string: return "bulk_string";
    case reply_type::array: return "array";
  }
  return "unknown";
}

reply reply::integer(std::int64_t v) {
  reply r;
  r.type_ = reply_type::integer;
  r.integer_ = v;
  return r;
}

reply reply::simple_string(std::string s) {
  reply r;
  r.type_ = reply_type::simple_string;
  r.string_ = std::move(s);
  return r;
}

reply reply::error(std::string message) {
  reply r;
  r.type_ = reply_type::error;
  r.string_ = std::move(message);
  return r;
}

reply reply::bulk_string(std::string s) {
  reply r;
  r.type_ = reply_type::bulk_string;
  r.string_ = std::move(s);
  return r;
}

reply reply::array(std::vector<reply> elements) {
  reply r;
  r.type_ = reply_type::array;
  r.elements_ = std::move(elements);
  return r;
}

void reply::wrong_type(reply_type wanted) const {
  std::string what = "expected a reply of type " + std::string(redis::to_string(wanted)) + ", got " +
                     std::string(redis::to_string(type_));
  if (type_ == reply_type::error) what += " (" + string_ + ")";
  throw redis::error(errc::reply_type, what);
}

std::int64_t reply::as_integer() const {
  if (type_ != reply_type::integer) wrong_type(reply_type::integer);
  return integer_;
}

const std::string& reply::as_string() const& {
  if (!is_string()) wrong_type(reply_type::bulk_string);
  return string_;
}

std::string reply::as_string() && {
  if (!is_string()) wrong_type(reply_type::bulk_string);
  return std::move(string_);
}

std::optional<std::string> reply::as_optional_string() const {
  if (is_null()) return std::nullopt;
  return as_string();
}

const std::string& reply::error_message() const {
  if (type_ != reply_type::error) wrong_type(reply_type::error);
  return string_;
}

const std::vector<reply>& reply::as_array() const& {
  if (type_ != reply_type::array) wrong_type(reply_type::array);
  return elements_;
}

std::vector<reply> reply::as_array() && {
  if (type_ != reply_type::array) wrong_type(reply_type::array);
  return std::move(elements_);
}

const reply& reply::operator[](std::size_t i) const {
  if (i >= elements_.size()) {
    throw std::out_of_range("corio::redis::reply: element " + std::to_string(i) + " of " +
                            std::to_string(elements_.size()));
  }
  return elements_[i];
}

const reply& reply::throw_if_error() const {
  if (type_ == reply_type::error) throw redis::error(errc::server, string_);
  return *this;
}

namespace {

void render(const reply& r, std::string& out, int depth) {
  switch (r.type()) {
    case reply_type::null: out += "(nil)"; return;
    case reply_type::integer: out += std::to_string(r.as_integer()); return;
    case reply_type::error: out += "(error) " + r.error_message(); return;
    case reply_type::simple_string: out += r.as_string(); return;
    case reply_type::bulk_string: {
      out += '"';
      for (const char c : r.as_string()) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
          out += '\\';
          out += c;
        } else if (u < 0x20 || u >= 0x7f) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;
        }
      }
      out += '"';
      return;
    }
    case reply_type::array: {
      if (depth > 16) {
        out += "[...]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& e : r.as_array()) {
        if (!first) out += ", ";
        first = false;
        render(e, out, depth + 1);
      }
      out += ']';
      return;
    }
  }
}

}  // namespace

std::string reply::to_string() const {
  std::string out;
  render(*this, out, 0);
  return out;
}

}  // namespace corio::redis
