#include <serve/response.hpp>

#include <boost/json/serialize.hpp>

namespace serve {

string_response text(http::status status, std::string body, std::string_view content_type) {
  string_response res(status, 11);
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

string_response json(http::status status, const boost::json::value& v) {
  return text(status, boost::json::serialize(v), "application/json");
}

string_response error(http::status status, std::string_view message) {
  boost::json::object o;
  o["error"] = message;
  o["status"] = static_cast<unsigned>(status);
  return json(status, o);
}

http::response_header<>& header_of(response& r) noexcept {
  return std::visit([](auto& m) -> http::response_header<>& { return m.base(); }, r);
}

std::uint64_t body_size(response& r) {
  if (auto* s = std::get_if<string_response>(&r)) return s->body().size();
  if (auto* f = std::get_if<file_response>(&r)) return f->body().size();
  return 0;
}

}  // namespace serve
