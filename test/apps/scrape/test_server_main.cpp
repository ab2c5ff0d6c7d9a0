// scrape_test_server: the Beast test server (test/support/http/test_server.hpp) as a process, for
// tests that drive corio-scrape as a program. Prints its port on the first line of stdout, then
// serves until stdin is closed.
//   scrape_test_server [--tls CERT_PEM_OUT] [--site-pages N]
#include "support/http/test_server.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  corio::test::http_test_server::options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--tls" && i + 1 < argc) {
      o.tls = corio::test::make_self_signed();
      corio::test::write_file(argv[++i], o.tls->cert_pem);
    } else if (a == "--site-pages" && i + 1 < argc) {
      o.site_pages = std::stoul(argv[++i]);
    } else {
      std::cerr << "usage: scrape_test_server [--tls CERT_PEM_OUT] [--site-pages N]\n";
      return 2;
    }
  }
  corio::test::http_test_server srv(o);
  std::cout << srv.port() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return EXIT_SUCCESS;
}
