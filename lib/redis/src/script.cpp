#include <corio/redis/script.hpp>

#include <openssl/evp.h>

#include <stdexcept>

namespace corio::redis {

namespace {

std::string sha1_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(s.data(), s.size(), md, &len, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("corio::redis::script: OpenSSL cannot compute a SHA1");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace

script::script(std::string source) {
  auto d = std::make_shared<data>();
  d->sha1 = sha1_hex(source);
  d->source = std::move(source);
  data_ = std::move(d);
}

command evalsha_command(const script& s, const std::vector<std::string>& keys, const std::vector<std::string>& args) {
  command c("EVALSHA", s.sha1(), keys.size());
  c.args(keys).args(args);
  return c;
}

bool is_noscript(const reply& r) noexcept {
  return r.is_error() && r.error_message().starts_with("NOSCRIPT");
}

}  // namespace corio::redis
