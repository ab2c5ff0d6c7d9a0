// test/support/http/test_server.hpp — a misbehaving-on-request HTTP/1.1 server on Beast, for the
// client's and corio-scrape's tests. It listens on 127.0.0.1 on a port the OS picks and runs on a
// thread of its own (so the code under test runs on the test's own io_context, in real time).
//
// Endpoints (paths; query parameters in brackets):
//   /ok                         200 "ok\n" (HEAD on any path: the head of /ok)
//   /status/<code>              that status, body "status <code>\n"
//   /slow [ms]                  waits ms (default 200) before answering "slow ok\n"
//   /stall                      never answers
//   /stall-body                 Content-Length 100, sends 10 bytes, then nothing
//   /endless                    a chunked body that never ends (1 KiB every 2 ms)
//   /redirect/<n>               302 to redirect/<n-1> (relative), /redirect/0 is 200 "redirected\n"
//   /goto [code,to]             `code` (302) with Location: `to`
//   /loop/a, /loop/b            302 to each other
//   /retry-after [key,fails,after,code]   `code` (429) with Retry-After: after (seconds) for the
//                               first `fails` requests with this key, then 200 "ok\n"
//   /flaky [key,fails]          500 for the first `fails` requests with this key, then 200
//   /bytes/N [seed]             N letters (at most 16 MiB), the same for the same seed (xorshift)
//   /reset                      Content-Length 1000000, 1000 bytes, then a TCP reset
//   /close-early                Content-Length 100, 10 bytes, then a clean close
//   /truncated-chunked          one chunk, then a clean close without the last chunk
//   /no-length                  HTTP/1.1 200, no Content-Length, body until close
//   /gzip, /deflate, /deflate-raw   gzip_text() compressed
//   /bad-gzip                   Content-Encoding: gzip with a body that is not gzip
//   /unsupported-encoding       Content-Encoding: compress
//   /br, /zstd                  gzip_text() compressed with brotli, zstd
//   /gzip-br                    gzip_text() gzipped then brotli'd (Content-Encoding: gzip, br)
//   /stacked-fields             deflate then zstd, as two Content-Encoding fields
//   /four-codings               Content-Encoding: gzip, gzip, gzip, gzip
//   /bad-br                     Content-Encoding: br with a body that is not brotli
//   /br-bomb, /zstd-bomb        16 MiB of zeros compressed (a few KiB on the wire)
//   /gzip-in-br-bomb            /gzip-bomb's body brotli'd (Content-Encoding: gzip, br)
//   /gzip-bomb                  16 MiB of zeros gzipped (~16 KiB on the wire)
//   /huge                       Content-Length 1 GiB of zeros, streamed
//   /big-header [size]          a header field of `size` (70000) bytes
//   /big-trailer [size]         a chunked body with a trailer field of `size` (70000) bytes
//   /interim                    103 Early Hints, then 200 "ok\n"
//   /upgrade                    101 Switching Protocols, then silence on the open connection
//   /http10                     HTTP/1.0 200 "ok\n" without keep-alive, then silence (not closed)
//   /no-reason                  "HTTP/1.1 200" without a reason phrase, "ok\n"
//   HEAD /head-with-body        the head of /ok followed by its body (which HEAD must not have)
//   CONNECT (any target)        200 Connection established, then silence (a tunnel)
//   /garbage                    not HTTP at all
//   /headers                    the request's header fields, "name: value\n" each
//   /expect-header [name,value,count]   200 "ok\n" if the request has exactly `count` (1) fields
//                               called `name` (case-insensitive) and one of them is `value`, else 400
//   /echo                       "<METHOD> <body>"
//   /proxied                    200 "via <its Via field>" when the request came through a proxy
//                               (which adds Via), else 400
//   /cookie/set [name,value,attrs,to]   Set-Cookie: name=value; attrs, then 302 to `to` (200 without)
//   /cookie/check [name,value]  200 if the request's Cookie field has name=value, else 403; the
//                               body shows the Cookie field
//   /close                      200 with Connection: close
//   /ok-close-silently          200 (keep-alive implied), then the server closes the connection
//   /robots.txt                 robots_txt with robots_status (settable), or robots_fault
//   /site/, /site/p<i>.html     a site of `site_pages` linked pages (see site_links)
//   /latin1                     an HTML page titled "Café" in ISO-8859-1 (charset in Content-Type)
// Counters (thread-safe): connections accepted, most connections open at once, requests per
// path, all request targets in order.
#pragma once

#include "tls_identity.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corio::test {

class http_test_server {
public:
  struct options {
    std::optional<tls_identity> tls;
    std::size_t site_pages = 40;
    std::string robots_txt = "User-agent: *\nDisallow: /site/private/\n";
    unsigned robots_status = 200;
    /// "stall": /robots.txt never answers; "reset": its connection is reset; else served.
    std::string robots_fault;
  };

  http_test_server();
  explicit http_test_server(options o);
  ~http_test_server();
  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  /// "http://127.0.0.1:<port><path>" (https with TLS).
  [[nodiscard]] std::string url(std::string_view path) const;

  [[nodiscard]] std::size_t connections() const;
  [[nodiscard]] std::size_t max_open_connections() const;
  /// The most requests being answered at once (read, not yet fully sent).
  [[nodiscard]] std::size_t max_concurrent_requests() const;
  [[nodiscard]] std::size_t hits(std::string_view path) const;
  [[nodiscard]] std::size_t requests() const;
  /// Requests that carried an Authorization header field.
  [[nodiscard]] std::size_t requests_with_authorization() const;
  [[nodiscard]] std::vector<std::string> targets() const;

  /// The text /gzip and friends serve (after decoding).
  [[nodiscard]] static std::string gzip_text();
  /// The paths of the pages of the generated site reachable from /site/ (not the private one).
  [[nodiscard]] std::vector<std::string> site_paths() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace corio::test
