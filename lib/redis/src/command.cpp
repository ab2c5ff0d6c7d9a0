#include <corio/redis/command.hpp>

#include <charconv>

namespace corio::redis {

command& command::arg(std::string_view a) {
  if (size_ == 0) name_ = a;
  char head[24];
  head[0] = '$';
  char* end = std::to_chars(head + 1, head + sizeof head - 2, a.size()).ptr;
  *end++ = '\r';
  *end++ = '\n';
  body_.append(head, static_cast<std::size_t>(end - head));
  body_ += a;
  body_ += "\r\n";
  ++size_;
  return *this;
}

command& command::arg(long long v) { return arg(std::string_view(std::to_string(v))); }

void command::encode_to(std::string& out) const {
  out += '*';
  out += std::to_string(size_);
  out += "\r\n";
  out += body_;
}

std::string command::encoded() const {
  std::string out;
  encode_to(out);
  return out;
}

}  // namespace corio::redis
