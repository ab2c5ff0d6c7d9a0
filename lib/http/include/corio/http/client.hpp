// corio/http/client.hpp — an HTTP/1.1 client (TCP and TLS) with a keep-alive connection pool,
// limits, timeouts, redirects, decompression and retries; aiohttp's ClientSession for Corio.
//
//   corio::http::client_options o;
//   o.connections_per_host = 4;
//   o.retry = corio::http::retries(2);
//   corio::http::client c(o);
//   auto r = co_await c.get("https://example.com/");          // corio::http::response
//   auto rs = co_await corio::gather(c.get(a), c.get(b));     // concurrent requests share the pool
//
// Pool: connections are kept per (scheme, host, port) and reused (most recently used first); at
// most `connections_per_host` requests to one origin are in flight, later ones wait their turn
// (FIFO, corio::semaphore). A kept-alive connection idle longer than `idle_expiry`, or that the
// server has closed meanwhile, is discarded; if a reused connection fails before any byte of the
// response arrives (the server closed it just then), an idempotent request is resent once on a
// fresh connection. A connection goes back to the pool only after a complete response that allows
// keep-alive and leaves the next response's framing known: a request that fails, times out or is
// cancelled mid-way closes its connection, and so does a 101 Switching Protocols (returned as the
// final response), any response to CONNECT (its body is not read), Connection: close, HTTP/1.0
// without keep-alive, a body delimited by the close, and a response followed by bytes nobody
// asked for (a HEAD answered with a body). Other 1xx responses are interim and skipped.
// Timeouts: `connect_timeout` covers DNS, TCP connect and TLS handshake; `read_timeout` is the
// longest wait for any bytes while sending or receiving (a corio::watchdog per connection: each
// I/O stores a deadline, no timer operation per read); `total_timeout` bounds one attempt including
// its redirects (corio::with_timeout). DNS lookups (getaddrinfo on Asio's resolver thread, not
// interruptible) are awaited cancellably: a timed-out or cancelled lookup returns at once and
// the lookup finishes unobserved in the background.
// Redirects: 301, 302, 303 (→ GET without body; 301/302 after POST too), 307, 308 (method and
// body kept), relative Locations resolved; more than `max_redirects`, or a URL seen before in the
// chain, is errc::too_many_redirects. Authorization and Cookie are dropped when the origin changes.
// Credentials in a URL ("http://user:pass@host/", percent-decoded) are sent as Authorization:
// Basic (unless the request sets Authorization) and kept out of the request line, response::url
// and error::url (http::redact_userinfo); like any Authorization, not to another origin.
// The Host field is the URL's host in its ASCII (IDNA) form, with the port only when not the
// scheme's default.
// Body: chunked or Content-Length or until close; gzip/deflate (zlib), br (brotli) and zstd
// decoded when `decompress` (Accept-Encoding: gzip, deflate, br, zstd is then sent), also stacked
// ("Content-Encoding: gzip, br", up to three, undone last to first; another coding is a protocol
// error naming it); `max_body_bytes` limits the body on the wire, after decoding and at every
// layer of a stack (a decompression bomb stops at the limit). Header fields of 64 KiB or more, or headers
// and trailers over `max_header_bytes`, end the request with a clear error (Beast 1.81's own
// field storage would throw; the client never uses it).
// Retries (corio::retry): network errors (connect, connection, timeout) for idempotent methods,
// connect errors for all, and the statuses in `retry_statuses` (429, 500, 502, 503, 504 by
// default), honouring the server's Retry-After (seconds or HTTP date, capped by the policy's
// max_delay); a status the policy's `retryable` hook refuses to retry (say, a Retry-After longer
// than the caller waits) is returned as the response it is. When retries run out on a status,
// the last response is returned (it is a valid response); on an error, the last error is thrown
// with attempts() set.
// Rate: `rate_per_host` > 0 spaces the requests to one origin (corio::rate_limiter, each attempt,
// each redirect hop and each resend on a fresh connection counts). A request waits for its slot
// once it holds its permit, just before it is written: waiting for a permit (a slow server, a
// full pool) never saves up slots to be spent in a burst later. `pacer`, when set, is awaited
// at the same point (after the local rate limit) with the origin as "scheme://host:port" (IPv6 in
// brackets): a caller's own pacing, e.g. a rate shared by several processes. A pacer that throws
// fails the attempt with its exception; cancellation reaches it like any wait.
// TLS: OpenSSL through Asio's ssl::stream; SNI; the certificate is verified against the system
// store (plus `ca_file`) including the host name, unless `verify_tls` is false.
// Cookies: with a `cookies` jar (cookies.hpp: RFC 6265's rules), each request, redirect hops
// included, carries the jar's cookies for its URL (after a Cookie field the caller set, in the
// same field), and every response's Set-Cookie fields, a redirect's too, are stored for the URL
// that answered — so a cookie set by a redirect is sent to its target when the jar's rules
// (domain, path, Secure) allow it, and never to another origin otherwise. The jar is consulted
// per hop: a caller's own Cookie field is still dropped when a redirect changes the origin.
// Without a jar, no cookie is stored or sent.
// Proxy: with `proxy` (or `https_proxy` for https:// URLs) an HTTP proxy "http://[user:pass@]host[:port]"
// (proxy.hpp: its syntax, and `no_proxy`, the hosts that go direct — re-evaluated at every
// redirect hop, so a redirect to another origin may switch between proxy and direct). An http://
// request goes to the proxy in absolute-form ("GET http://host/path HTTP/1.1", with Host), an
// https:// one through a tunnel: "CONNECT host:port" to the proxy, then TLS inside it with the
// origin (SNI and certificate verification for the origin's host, as without a proxy). The proxy's
// credentials go in Proxy-Authorization: Basic (every forwarded request, or the CONNECT), never to
// the origin. A CONNECT answered with anything but 2xx is errc::proxy naming the proxy's status
// (error::status(); 407, or 401 from some proxies: credentials missing or refused), not retried,
// and its connection is closed; a proxy's answer to a forwarded http:// request is a response
// like any other.
// `connect_timeout` covers reaching the proxy (DNS, TCP) and the CONNECT exchange, then the TLS
// handshake; `read_timeout`, `total_timeout` and cancellation apply as without a proxy. The DNS
// lookup is the proxy's host (the proxy resolves the origin). The pool keys connections by origin
// *and* route: a connection through a proxy is never reused for a direct request or through
// another proxy (or other proxy credentials), and a tunnel only for its own origin;
// `connections_per_host` still counts per origin. Messages and errors name the proxy as
// "http://host:port", never with its credentials.
//
// Cancellation: cancelling a request (task cancel, an enclosing timeout, a group's failure) ends
// it at its current I/O with operation_aborted; its connection is closed, not pooled.
// Exceptions: corio::http::error for every expected failure (see error.hpp); operation_aborted
// for cancellation; std::invalid_argument for a request that cannot be sent (CR/LF in a header).
// The constructor throws error(errc::bad_url) for an invalid proxy URL.
// Thread safety: executor-affine: use one client from coroutines of one executor (or strand).
// The client may be destroyed while requests are in flight only if they are being cancelled and
// awaited by then (they keep its shared state alive); destroy it before its io_context.
#pragma once

#include <corio/config.hpp>
#include <corio/http/cookies.hpp>
#include <corio/http/error.hpp>
#include <corio/http/fields.hpp>
#include <corio/http/request.hpp>
#include <corio/http/response.hpp>
#include <corio/retry.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corio::http {

/// A retry policy that makes `n` retries (n + 1 attempts) with the default backoff.
[[nodiscard]] corio::retry_policy retries(int n);

struct client_options {
  std::string user_agent = "corio-http/0.1";
  /// DNS + TCP connect + TLS handshake, per connection.
  duration connect_timeout = std::chrono::seconds(10);
  /// Longest wait for progress while sending or receiving.
  duration read_timeout = std::chrono::seconds(30);
  /// One attempt, redirects included (request::total_timeout overrides).
  duration total_timeout = std::chrono::seconds(60);
  std::size_t max_body_bytes = std::size_t{64} << 20;
  std::size_t max_header_bytes = std::size_t{64} << 10;
  /// 0: redirects are returned as responses.
  int max_redirects = 10;
  std::size_t connections_per_host = 8;
  duration idle_expiry = std::chrono::seconds(30);
  bool decompress = true;
  /// Attempts, backoff and hooks; retryable and delay_hint are filled in by the client when empty.
  corio::retry_policy retry = retries(0);
  std::vector<unsigned> retry_statuses = {429, 500, 502, 503, 504};
  /// Requests per second per origin (0: no limit), with bursts of `rate_burst`.
  double rate_per_host = 0;
  std::size_t rate_burst = 1;
  /// Awaited before each request is written (see Rate above); null: none.
  std::function<awaitable<void>(const std::string& origin)> pacer;
  bool verify_tls = true;
  /// Extra trusted certificates (PEM file), e.g. a test CA.
  std::string ca_file;
  /// An HTTP proxy for every request: "http://[user:password@]host[:port]" (see proxy.hpp);
  /// empty: none. An invalid one makes the constructor throw error(errc::bad_url).
  std::string proxy;
  /// When set, the proxy for https:// URLs in place of `proxy` (empty: https:// goes direct),
  /// like the environment's https_proxy beside http_proxy in curl.
  std::optional<std::string> https_proxy;
  /// Hosts reached directly, not through a proxy: curl's NO_PROXY list (see proxy.hpp).
  std::string no_proxy;
  /// A cookie jar (cookies.hpp), shared by whoever holds it: Set-Cookie from every response
  /// (redirects included) stored, Cookie sent with every request it matches. Null: no cookies.
  std::shared_ptr<cookie_jar> cookies;
  /// Replaces DNS (tests, custom resolution). Must be cancellable or fast. With a proxy, it
  /// resolves the proxy's host (the proxy resolves the origin's).
  std::function<awaitable<std::vector<boost::asio::ip::tcp::endpoint>>(std::string host, std::uint16_t port)>
      resolver;
};

/// Counters, for tests and summaries.
struct client_stats {
  std::uint64_t requests = 0;             ///< requests written (every attempt and redirect hop)
  std::uint64_t connections_opened = 0;   ///< TCP connections established
  std::uint64_t connections_reused = 0;   ///< requests sent over a pooled connection
  std::uint64_t stale_retries = 0;        ///< requests resent after a pooled connection failed
};

class client {
public:
  explicit client(client_options opts = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `r` (with redirects and retries as configured) and returns the response.
  [[nodiscard]] awaitable<response> send(request r);
  [[nodiscard]] awaitable<response> get(std::string url, fields headers = {});
  [[nodiscard]] awaitable<response> head(std::string url, fields headers = {});
  [[nodiscard]] awaitable<response> post(std::string url, std::string body,
                                         std::string content_type = "application/octet-stream",
                                         fields headers = {});

  /// Closes every idle pooled connection (requests in flight are not affected).
  void close_idle() noexcept;

  [[nodiscard]] const client_options& options() const noexcept;
  [[nodiscard]] client_stats stats() const noexcept;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

}  // namespace corio::http
