// test/support/http/tls_identity.hpp — a self-signed certificate made on the spot (OpenSSL), for
// TLS tests: valid for "localhost" and 127.0.0.1, for one day.
#pragma once

#include <string>

namespace corio::test {

struct tls_identity {
  std::string cert_pem;
  std::string key_pem;
};

/// A new EC P-256 key and a self-signed certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1).
[[nodiscard]] tls_identity make_self_signed();

/// Writes `content` to `path` (for a client's ca_file). Throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& content);

}  // namespace corio::test
