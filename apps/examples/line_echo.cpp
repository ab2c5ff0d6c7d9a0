// A line-based echo server and its client in one program: the server listens on port 0 (the
// system picks a free port, which task_group::start hands back), the client sends three lines and
// prints the echoes, then the group is cancelled, which stops the server and its connections.
// asyncio: asyncio.start_server + asyncio.open_connection with StreamReader.readline.
#include <corio/corio.hpp>

#include <iostream>
#include <string>

corio::awaitable<void> echo(corio::tcp_stream s) {
  for (;;) {
    std::string line;
    try {
      line = co_await s.read_line(1024);  // a longer line throws limit_overrun_error
    } catch (const corio::incomplete_read_error&) {
      co_return;  // the client closed the connection
    }
    co_await s.write(line);
  }
}

corio::awaitable<void> client(std::uint16_t port) {
  corio::tcp_stream s = co_await corio::open_tcp("localhost", port);
  for (const std::string line : {"hello\n", "structured\n", "concurrency\n"}) {
    co_await s.write(line);
    std::cout << "echo: " << co_await s.read_line(1024);
  }
  s.shutdown_write();  // the server reads end of stream and ends the connection
}

corio::awaitable<void> amain() {
  co_await corio::task_group::run([](corio::task_group& g) -> corio::awaitable<void> {
    const corio::tcp::endpoint ep = co_await g.start<corio::tcp::endpoint>([](auto started) {
      return corio::serve_tcp({boost::asio::ip::address_v4::loopback(), 0}, echo, {}, std::move(started));
    });
    std::cout << "server listening on " << ep << "\n";
    co_await client(ep.port());
    g.cancel();  // stops the server: no error, the group ends quietly
  });
  std::cout << "server stopped\n";
}

int main() {
  try {
    corio::run(amain());
  } catch (const std::exception& e) {
    std::cerr << "line_echo: " << e.what() << "\n";
    return EXIT_FAILURE;
  }
  return 0;
}
