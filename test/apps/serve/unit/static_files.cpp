#include <serve/static_files.hpp>

#include <serve/http_date.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

/// A scratch site: index.html, style.css, docs/index.html, .secret, and outside it secret.txt
/// with a symlink to it from inside.
struct site {
  fs::path base = fs::temp_directory_path() / ("corio-serve-static-" + std::to_string(std::random_device{}()));
  fs::path root = base / "root";

  site() {
    fs::create_directories(root / "docs");
    write(root / "index.html", "<h1>home</h1>");
    write(root / "style.css", "body{}");
    write(root / "docs" / "index.html", "docs");
    write(root / ".secret", "hidden");
    write(base / "secret.txt", "outside");
    fs::create_symlink(base / "secret.txt", root / "link.txt");
  }
  ~site() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
};

serve::request get(std::string_view target) {
  serve::request req(http::verb::get, target, 11);
  return req;
}

unsigned status(serve::response& r) { return serve::header_of(r).result_int(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_static_files)

BOOST_AUTO_TEST_CASE(a_file_comes_with_its_mime_type_etag_and_last_modified) {
  site s;
  serve::file_server files(s.root, "/");
  auto r = files.serve(get("/style.css"), "style.css");
  BOOST_TEST(status(r) == 200u);
  auto& h = serve::header_of(r);
  BOOST_TEST(h[http::field::content_type] == "text/css; charset=utf-8");
  BOOST_TEST(!h[http::field::etag].empty());
  BOOST_TEST(serve::parse_http_date(std::string(h[http::field::last_modified])).has_value());
  BOOST_TEST(serve::body_size(r) == 6u);
}

BOOST_AUTO_TEST_CASE(a_matching_if_none_match_or_a_recent_if_modified_since_gets_304) {
  site s;
  serve::file_server files(s.root, "/");
  auto first = files.serve(get("/style.css"), "style.css");
  const std::string etag(serve::header_of(first)[http::field::etag]);
  const std::string modified(serve::header_of(first)[http::field::last_modified]);
  auto req = get("/style.css");
  req.set(http::field::if_none_match, "\"other\", " + etag);
  auto r = files.serve(req, "style.css");
  BOOST_TEST(status(r) == 304u);
  BOOST_TEST(std::holds_alternative<serve::empty_response>(r));
  req = get("/style.css");
  req.set(http::field::if_none_match, "\"other\"");
  auto changed = files.serve(req, "style.css");
  BOOST_TEST(status(changed) == 200u);
  req = get("/style.css");
  req.set(http::field::if_modified_since, modified);
  auto unchanged = files.serve(req, "style.css");
  BOOST_TEST(status(unchanged) == 304u);
  req.set(http::field::if_modified_since, serve::http_date(0));
  auto old = files.serve(req, "style.css");
  BOOST_TEST(status(old) == 200u);
}

BOOST_AUTO_TEST_CASE(traversal_hidden_files_and_symlinks_out_of_the_root_are_404) {
  site s;
  serve::file_server files(s.root / "docs", "/");
  for (std::string_view bad : {"../index.html", "%2e%2e/index.html", "a/../../index.html", "..%2f..%2fsecret.txt",
                               "..\\index.html", "%2E%2E%5Cindex.html"}) {
    auto r = files.serve(get("/x"), bad);
    BOOST_TEST(status(r) == 404u, bad);
  }
  serve::file_server top(s.root, "/");
  auto hidden = top.serve(get("/.secret"), ".secret");
  BOOST_TEST(status(hidden) == 404u);
  auto link = top.serve(get("/link.txt"), "link.txt");
  BOOST_TEST(status(link) == 404u);
  auto missing = top.serve(get("/nope.txt"), "nope.txt");
  BOOST_TEST(status(missing) == 404u);
  auto nul = top.serve(get("/x"), "index.html%00.css");
  BOOST_TEST(status(nul) == 400u);
  auto bad_escape = top.serve(get("/x"), "%zz");
  BOOST_TEST(status(bad_escape) == 400u);
}

BOOST_AUTO_TEST_CASE(a_directory_serves_its_index_and_without_the_slash_redirects_to_it) {
  site s;
  serve::file_server files(s.root, "/site/");
  auto r = files.serve(get("/site/docs"), "docs");
  BOOST_TEST(status(r) == 301u);
  BOOST_TEST(serve::header_of(r)[http::field::location] == "/site/docs/");
  auto index = files.serve(get("/site/docs/"), "docs/");
  BOOST_TEST(status(index) == 200u);
  BOOST_TEST(serve::body_size(index) == 4u);
  auto top = files.serve(get("/site/"), "");
  BOOST_TEST(status(top) == 200u);
  BOOST_TEST(serve::header_of(top)[http::field::content_type] == "text/html; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(a_directory_redirect_is_built_from_the_normalised_path_never_protocol_relative) {
  site s;
  fs::create_directories(s.root / "host.example" / "a");
  site::write(s.root / "host.example" / "index.html", "a directory named like a host");
  serve::file_server top(s.root, "/");
  for (std::string_view rel : {"/host.example", "//host.example", "host.example//", "/host.example/a"}) {
    BOOST_TEST_CONTEXT("rel: " << rel) {
      auto r = top.serve(get("/x"), rel);
      const std::string location(serve::header_of(r)[http::field::location]);
      if (rel == "host.example//") {
        BOOST_TEST(status(r) == 200u);  // a directory with its slash: its index
      } else {
        BOOST_TEST(status(r) == 301u);
        BOOST_TEST(location.rfind("//", 0) != 0u);
        BOOST_TEST(location == (rel.find("/a") != std::string_view::npos ? "/host.example/a/" : "/host.example/"));
      }
    }
  }
  serve::file_server mounted(s.root, "/site/");
  auto r = mounted.serve(get("/site//docs"), "/docs");
  BOOST_TEST(status(r) == 301u);
  BOOST_TEST(serve::header_of(r)[http::field::location] == "/site/docs/");
}

BOOST_AUTO_TEST_CASE(a_file_named_with_a_trailing_slash_is_404) {
  site s;
  serve::file_server top(s.root, "/");
  auto slash = top.serve(get("/index.html/"), "index.html/");
  BOOST_TEST(status(slash) == 404u);
  auto slashes = top.serve(get("/style.css//"), "style.css//");
  BOOST_TEST(status(slashes) == 404u);
  auto file = top.serve(get("/index.html"), "index.html");
  BOOST_TEST(status(file) == 200u);
}

BOOST_AUTO_TEST_CASE(a_root_that_is_not_a_directory_is_refused_at_construction) {
  BOOST_CHECK_THROW(serve::file_server("/definitely/not/here", "/"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(mime_types_follow_the_extension_case_insensitively) {
  BOOST_TEST(serve::mime_type("a.HTML") == "text/html; charset=utf-8");
  BOOST_TEST(serve::mime_type("app.js") == "text/javascript; charset=utf-8");
  BOOST_TEST(serve::mime_type("x.svg") == "image/svg+xml");
  BOOST_TEST(serve::mime_type("archive.tar.gz") == "application/gzip");
  BOOST_TEST(serve::mime_type("README") == "application/octet-stream");
}

BOOST_AUTO_TEST_CASE(http_dates_are_read_in_all_three_formats_and_malformed_ones_are_refused) {
  BOOST_TEST(serve::http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  BOOST_TEST(serve::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").value() == 784111777);
  BOOST_TEST(serve::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").value() == 784111777);  // RFC 850
  BOOST_TEST(serve::parse_http_date("Sun Nov  6 08:49:37 1994").value() == 784111777);        // asctime
  BOOST_TEST(serve::parse_http_date("Thu Nov 16 08:49:37 1994").value() == 784111777 + 10 * 86400);
  // RFC 850's two-digit year: at most 50 years ahead (this test runs well before 2044).
  BOOST_TEST(serve::parse_http_date("Wednesday, 01-Jan-31 00:00:00 GMT").value() == 1924992000);
  for (const char* bad : {"Sun, 06 Nox 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
                          "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49 1994",
                          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "", "yesterday"}) {
    BOOST_TEST(!serve::parse_http_date(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(if_modified_since_in_any_date_format_gets_304) {
  site s;
  serve::file_server files(s.root, "/");
  for (const char* since : {"Fri, 01 Jan 2100 00:00:00 GMT", "Friday, 01-Jan-99 00:00:00 GMT", "Fri Jan  1 00:00:00 2100"}) {
    auto req = get("/style.css");
    req.set(http::field::if_modified_since, since);
    auto r = files.serve(req, "style.css");
    // (RFC 850's "99" is 1999 — in the past — so that one gets the file.)
    BOOST_TEST(status(r) == (std::string_view(since).find("-99") != std::string_view::npos ? 200u : 304u), since);
  }
}

BOOST_AUTO_TEST_CASE(if_match_and_if_unmodified_since_that_fail_get_412) {
  site s;
  serve::file_server files(s.root, "/");
  auto first = files.serve(get("/style.css"), "style.css");
  const std::string etag(serve::header_of(first)[http::field::etag]);
  BOOST_TEST(serve::header_of(first)[http::field::accept_ranges] == "bytes");
  auto with = [&](http::field f, std::string v) {
    auto req = get("/style.css");
    req.set(f, v);
    auto r = files.serve(req, "style.css");
    return status(r);
  };
  BOOST_TEST(with(http::field::if_match, "\"other\"") == 412u);
  BOOST_TEST(with(http::field::if_match, "W/" + etag) == 412u);  // strong comparison: a weak tag never matches
  BOOST_TEST(with(http::field::if_match, "\"other\", " + etag) == 200u);
  BOOST_TEST(with(http::field::if_match, "*") == 200u);
  BOOST_TEST(with(http::field::if_unmodified_since, "Sun, 06 Nov 1994 08:49:37 GMT") == 412u);
  BOOST_TEST(with(http::field::if_unmodified_since, "Fri, 01 Jan 2100 00:00:00 GMT") == 200u);
  BOOST_TEST(with(http::field::if_unmodified_since, "not a date") == 200u);  // ignored
  // If-Match wins over If-Unmodified-Since (RFC 9110 13.2.2).
  auto req = get("/style.css");
  req.set(http::field::if_match, etag);
  req.set(http::field::if_unmodified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
  auto r = files.serve(req, "style.css");
  BOOST_TEST(status(r) == 200u);
}

BOOST_AUTO_TEST_CASE(a_single_byte_range_gets_206_an_unsatisfiable_one_416_and_others_the_whole_file) {
  site s;
  serve::file_server files(s.root, "/");  // style.css is "body{}": 6 bytes
  auto ranged = [&](std::string range, std::string if_range = {}) {
    auto req = get("/style.css");
    req.set(http::field::range, range);
    if (!if_range.empty()) req.set(http::field::if_range, if_range);
    return files.serve(req, "style.css");
  };
  struct expected {
    const char* range;
    unsigned status;
    const char* body;           // (206)
    const char* content_range;  // (206, 416)
  };
  for (const auto& e : std::vector<expected>{{"bytes=0-3", 206, "body", "bytes 0-3/6"},
                                             {"bytes=4-", 206, "{}", "bytes 4-5/6"},
                                             {"bytes=-2", 206, "{}", "bytes 4-5/6"},
                                             {"bytes=-100", 206, "body{}", "bytes 0-5/6"},
                                             {"bytes=2-100", 206, "dy{}", "bytes 2-5/6"},
                                             {"BYTES=1-1", 206, "o", "bytes 1-1/6"},
                                             {"bytes=6-", 416, "", "bytes */6"},
                                             {"bytes=-0", 416, "", "bytes */6"},
                                             {"bytes=0-1,3-4", 200, "", ""},
                                             {"bytes=3-1", 200, "", ""},
                                             {"bytes=x-1", 200, "", ""},
                                             {"items=0-1", 200, "", ""}}) {
    BOOST_TEST_CONTEXT("Range: " << e.range) {
      auto r = ranged(e.range);
      BOOST_TEST(status(r) == e.status);
      BOOST_TEST(serve::header_of(r)[http::field::content_range] == e.content_range);
      if (e.status == 206) BOOST_TEST(std::get<serve::string_response>(r).body() == e.body);
      if (e.status == 200) BOOST_TEST(serve::body_size(r) == 6u);
    }
  }
  auto full = files.serve(get("/style.css"), "style.css");
  const std::string etag(serve::header_of(full)[http::field::etag]);
  const std::string modified(serve::header_of(full)[http::field::last_modified]);
  auto current = ranged("bytes=0-1", etag);
  BOOST_TEST(status(current) == 206u);
  auto by_date = ranged("bytes=0-1", modified);
  BOOST_TEST(status(by_date) == 206u);
  auto stale = ranged("bytes=0-1", "\"an older version\"");
  BOOST_TEST(status(stale) == 200u);  // If-Range does not match: the whole (new) file
  BOOST_TEST(serve::body_size(stale) == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
