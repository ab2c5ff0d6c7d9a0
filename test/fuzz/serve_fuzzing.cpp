#include "serve_fuzzing.hpp"

#include <serve/app.hpp>
#include <serve/endpoints.hpp>
#include <serve/server.hpp>

#include <corio/task.hpp>
#include <corio/testing.hpp>

#include "fuzz_loop.hpp"
#include <corio/timeout.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include <sys/socket.h>

namespace fuzzing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto as_tuple = asio::as_tuple(asio::deferred);

/// What every input reuses. Built once and never destroyed (its executors would outlive the
/// loop's context at exit otherwise); only the shard, the connection and the socket pair are made
/// per input.
struct world {
  static serve::config app_config() {
    serve::config cfg;
    cfg.port = 0;
    cfg.access_log = "off";
    cfg.debug_tasks = true;  // (routed: the peer is not a loopback address, so it answers 403)
    // Joins and leaves announced at once: a batching timer (real time) would outlive the input.
    cfg.chat_presence_interval = std::chrono::milliseconds(0);
    // /api/cpu's sieve is the same code for any n: a small one keeps an input that reaches it
    // as fast as the others (the default, 5,000,000, takes ~50 ms under the sanitizers).
    cfg.cpu_max_n = 10'000;
    // /api/fanout's gather is the same code for any n past 128 (libFuzzer's loop counters stop
    // telling counts apart there); n in the thousands made those inputs ~20 ms each.
    cfg.fanout_max_n = 200;
    return cfg;
  }
  static std::shared_ptr<spdlog::logger> quiet() {
    auto log = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
    log->set_level(spdlog::level::off);  // a message is not even formatted
    return log;
  }

  world() : loop(corio::fuzz::loop_options()), app(app_config(), quiet()) { serve::register_endpoints(app); }

  corio::testing::test_loop loop;
  serve::app app;
};

world& the_world() {
  static world* const w = new world;
  return *w;
}

corio::awaitable<void> one_connection(serve::app& a, const std::function<corio::awaitable<void>(peer&)>& talk) {
  const auto ex = co_await asio::this_coro::executor;
  if (a.shards().empty()) a.set_shards({ex});  // the loop's executor: the same for every input
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::perror("socketpair");
    std::abort();
  }
  tcp::socket server_end(ex);
  server_end.assign(tcp::v4(), fds[0]);  // a stream socket: all the connection asks of it
  peer client(ex, fds[1]);
  serve::shard sh(a, 0, ex);
  sh.adopt(std::move(server_end));  // served once the shard runs
  auto running = corio::spawn(ex, sh.run(std::nullopt, {}), "shard");
  co_await talk(client);
  sh.begin_shutdown();
  co_await running.wait();
}

}  // namespace

peer::peer(const corio::executor& ex, int fd) : socket_(ex) {
  socket_.assign(asio::local::stream_protocol(), fd);
}

corio::awaitable<void> peer::write(std::string_view bytes) {
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), as_tuple);
  (void)ec;
  (void)n;
}

void peer::close_sending() noexcept {
  boost::system::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_send, ignored);
}

corio::awaitable<std::string> peer::read_until(std::string_view delimiter, corio::duration limit) {
  std::string received = std::move(pending_);
  pending_.clear();
  auto found = [&] { return delimiter.empty() ? std::string::npos : received.find(delimiter); };
  auto read = [&]() -> corio::awaitable<void> {
    char buf[16384];
    while (found() == std::string::npos) {
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), as_tuple);
      if (ec) co_return;
      received.append(buf, n);
    }
  };
  try {
    co_await corio::wait_for(read(), limit);
  } catch (const corio::timeout_error&) {
  }
  if (const auto at = found(); at != std::string::npos) {
    pending_ = received.substr(at + delimiter.size());
    received.resize(at + delimiter.size());
  }
  co_return received;
}

corio::awaitable<std::string> peer::read_all(corio::duration limit) { return read_until({}, limit); }

void serve_one_connection(const std::function<corio::awaitable<void>(peer&)>& talk) {
  world& w = the_world();
  w.loop.run([&w, &talk] { return one_connection(w.app, talk); });
}

}  // namespace fuzzing
