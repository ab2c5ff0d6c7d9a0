// Uses the installed corio::http component: normalises a URL.
#include <corio/http/url.hpp>

#include <iostream>

int main() {
  std::cout << corio::http::normalize_url("HTTP://Example.COM:80/a/../b?q#frag") << "\n";
  return 0;
}
