// stream's output helpers (serve/handler.hpp).
#include <serve/handler.hpp>

#include <serve/http_date.hpp>

#include <cstdio>

namespace serve {

std::string chunk(std::string_view data) {
  if (data.empty()) return {};
  char size[32];
  const int len = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out;
  out.reserve(static_cast<std::size_t>(len) + data.size() + 2);
  out.append(size, static_cast<std::size_t>(len));
  out.append(data);
  out.append("\r\n");
  return out;
}

std::string event_text(std::string_view data, std::string_view event) {
  std::string out;
  out.reserve(data.size() + event.size() + 16);
  if (!event.empty()) {
    out += "event: ";
    for (const char c : event) out += (c == '\r' || c == '\n') ? ' ' : c;  // one line
    out += '\n';
  }
  // Every line of the data (split at CRLF, CR or LF) is its own data: line.
  std::size_t i = 0;
  for (;;) {
    const std::size_t end = data.find_first_of("\r\n", i);
    out += "data: ";
    out.append(data.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
    out += '\n';
    if (end == std::string_view::npos) break;
    i = end + (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n' ? 2 : 1);
  }
  out += '\n';
  return out;
}

corio::awaitable<void> stream::begin_chunked(http::status status, std::string_view content_type, bool keep,
                                             std::string_view extra_headers) {
  std::string h = "HTTP/1.1 ";
  h += std::to_string(static_cast<unsigned>(status));
  h += ' ';
  const auto reason = http::obsolete_reason(status);
  h.append(reason.data(), reason.size());
  h += "\r\nServer: corio-serve\r\nDate: ";
  h += http_date_now();
  h += "\r\nContent-Type: ";
  h += content_type;
  h += "\r\nTransfer-Encoding: chunked\r\n";
  h += extra_headers;
  if (!keep) h += "Connection: close\r\n";
  h += "\r\n";
  set_status(static_cast<unsigned>(status));
  keep_alive(keep);
  co_await write(h);
}

corio::awaitable<void> stream::write_chunk(std::string_view data) {
  if (data.empty()) co_return;
  co_await write(chunk(data));
}

corio::awaitable<void> stream::end_chunked() { co_await write("0\r\n\r\n"); }

corio::awaitable<void> stream::begin_events() {
  co_await begin_chunked(http::status::ok, "text/event-stream", false, "Cache-Control: no-cache\r\n");
}

corio::awaitable<void> stream::send_event(std::string_view data, std::string_view event) {
  co_await write(chunk(event_text(data, event)));
}

}  // namespace serve
