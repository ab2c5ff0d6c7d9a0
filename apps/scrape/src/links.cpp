#include "scrape/links.hpp"

#include <corio/http/fields.hpp>
#include <corio/http/url.hpp>

#include <gumbo.h>
#include <iconv.h>

#include <cctype>
#include <cerrno>
#include <optional>
#include <memory>
#include <unordered_set>

namespace scrape {

namespace {

struct output_deleter {
  void operator()(GumboOutput* o) const noexcept { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

void append_text(const GumboNode* n, std::string& out) {
  // Iterative: hostile pages can nest deeply.
  std::vector<const GumboNode*> stack{n};
  while (!stack.empty()) {
    const GumboNode* cur = stack.back();
    stack.pop_back();
    if (cur->type == GUMBO_NODE_TEXT || cur->type == GUMBO_NODE_WHITESPACE || cur->type == GUMBO_NODE_CDATA) {
      out += cur->v.text.text;
    } else if (cur->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& ch = cur->v.element.children;
      for (unsigned i = ch.length; i-- > 0;) stack.push_back(static_cast<const GumboNode*>(ch.data[i]));
    }
  }
}

std::string collapse_whitespace(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

bool has_token(std::string_view list, std::string_view token) {
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && list[i] == ' ') ++i;
    std::size_t j = i;
    while (j < list.size() && list[j] != ' ') ++j;
    if (corio::http::iequals(list.substr(i, j - i), token)) return true;
    i = j;
  }
  return false;
}

/// Gumbo's time grows faster than quadratically with the nesting depth (20,000 nested <div>: seven
/// seconds), so a hostile page could stall the event loop. Returns the length of the prefix of
/// `html` whose (approximate) element depth stays within `max_depth`: start tags count, end tags
/// uncount; void elements, self-closing tags and elements HTML closes implicitly (p, li, td, ...)
/// do not count; comments and script/style contents are skipped.
std::size_t shallow_prefix(std::string_view html, std::size_t max_depth) {
  static const std::unordered_set<std::string_view> neutral = {
      "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
      "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot", "colgroup",
      "rb", "rt", "rp", "param", "keygen"};
  std::size_t depth = 0;
  std::size_t i = 0;
  const std::size_t n = html.size();
  auto lower_name = [&](std::size_t from) {
    std::string name;
    while (from < n && name.size() < 16 && (std::isalnum(static_cast<unsigned char>(html[from])) || html[from] == '-')) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[from++])));
    }
    return name;
  };
  while ((i = html.find('<', i)) != std::string_view::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      const auto end = html.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    if (i + 1 < n && html[i + 1] == '/') {
      if (depth > 0) --depth;
      i += 2;
      continue;
    }
    const std::string name = lower_name(i + 1);
    const auto close = html.find('>', i);
    if (name.empty() || close == std::string_view::npos) {
      ++i;
      continue;
    }
    if (name == "script" || name == "style") {  // raw text: skip to its end tag
      const auto end = html.find("</" + name, close);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    if (!neutral.count(name) && html[close - 1] != '/') {
      if (++depth > max_depth) return i;
    }
    i = close + 1;
  }
  return n;
}

std::string_view trim_ws(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r' || s.front() == '\f')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r' || s.back() == '\f')) s.remove_suffix(1);
  return s;
}

/// ASCII case-insensitive find.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0) noexcept {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (corio::http::iequals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

/// The value after "charset=" in `s` (quoted or not), e.g. in a meta's content attribute.
std::string_view charset_value(std::string_view s) noexcept {
  const auto at = ifind(s, "charset");
  if (at == std::string_view::npos) return {};
  s = trim_ws(s.substr(at + 7));
  if (s.empty() || s.front() != '=') return {};
  s = trim_ws(s.substr(1));
  if (!s.empty() && (s.front() == '"' || s.front() == '\'')) {
    const char q = s.front();
    s.remove_prefix(1);
    return s.substr(0, s.find(q));
  }
  return s.substr(0, s.find_first_of(" \t\n\r\f;\"'>/"));
}

/// HTML's prescan, simplified: the first <meta> in the first 1024 bytes that names a charset.
std::string_view meta_charset(std::string_view html) noexcept {
  html = html.substr(0, 1024);
  for (std::size_t i = 0; (i = ifind(html, "<meta", i)) != std::string_view::npos; i += 5) {
    const auto end = html.find('>', i);
    if (end == std::string_view::npos) break;
    const std::string_view tag = html.substr(i + 5, end - i - 5);
    // <meta charset="x">, or <meta http-equiv="Content-Type" content="text/html; charset=x">.
    if (auto c = charset_value(tag); !c.empty()) return c;
  }
  return {};
}

bool is_utf8_label(std::string_view cs) noexcept {
  return corio::http::iequals(cs, "utf-8") || corio::http::iequals(cs, "utf8") ||
         corio::http::iequals(cs, "unicode-1-1-utf-8");
}

/// `in` converted from `charset` to UTF-8, each invalid byte as U+FFFD; empty if the charset is
/// unknown (the caller reads the page as UTF-8).
std::optional<std::string> to_utf8(std::string_view in, std::string_view charset) {
  std::string label(charset);
  // WHATWG Encoding: these labels all mean windows-1252 (a superset with printable 0x80-0x9F).
  for (const char* l : {"iso-8859-1", "iso8859-1", "latin1", "l1", "us-ascii", "ascii", "cp1252", "x-cp1252"}) {
    if (corio::http::iequals(charset, l)) label = "WINDOWS-1252";
  }
  iconv_t cd = iconv_open("UTF-8", label.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.resize(in.size() * 2 + 16);
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  std::size_t used = 0;
  while (src_left > 0) {
    if (out.size() - used < 16) out.resize(out.size() * 2);
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    const std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    used = out.size() - dst_left;
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
    } else {  // EILSEQ, or EINVAL (incomplete at the end): one byte replaced, go on after it
      if (out.size() - used < 3) out.resize(out.size() * 2);
      out.replace(used, 3, "\xEF\xBF\xBD");
      used += 3;
      ++src;
      --src_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
    }
  }
  iconv_close(cd);
  out.resize(used);
  return out;
}

}  // namespace

std::string_view charset_of(std::string_view content_type) noexcept {
  const auto semi = content_type.find(';');
  if (semi == std::string_view::npos) return {};
  return charset_value(content_type.substr(semi + 1));
}

bool is_html(std::string_view content_type) noexcept {
  return content_type == "text/html" || content_type == "application/xhtml+xml";
}

page_info extract_page(std::string_view html, std::string_view page_url, std::string_view charset) {
  page_info info;
  html = html.substr(0, shallow_prefix(html, 512));
  if (charset.empty()) charset = meta_charset(html);
  std::optional<std::string> converted;  // (UTF-8 and unlabelled pages, the common case, are not copied)
  if (!charset.empty() && !is_utf8_label(charset)) converted = to_utf8(html, charset);
  if (converted) html = *converted;
  std::unique_ptr<GumboOutput, output_deleter> out(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  if (!out) return info;
  std::string base(page_url);
  bool base_seen = false, title_seen = false;
  std::vector<std::string> hrefs;
  std::vector<const GumboNode*> stack{out->root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    const GumboElement& e = n->v.element;
    if (e.tag == GUMBO_TAG_TITLE && !title_seen) {
      title_seen = true;
      std::string t;
      append_text(n, t);
      info.title = collapse_whitespace(t);
    } else if (e.tag == GUMBO_TAG_BASE && !base_seen) {
      if (const GumboAttribute* h = gumbo_get_attribute(&e.attributes, "href")) {
        base_seen = true;
        if (auto b = corio::http::join_url(page_url, h->value)) base = *b;
      }
    } else if (e.tag == GUMBO_TAG_A || e.tag == GUMBO_TAG_AREA) {
      const GumboAttribute* rel = gumbo_get_attribute(&e.attributes, "rel");
      if (const GumboAttribute* h = gumbo_get_attribute(&e.attributes, "href");
          h && !(rel && has_token(rel->value, "nofollow"))) {
        hrefs.emplace_back(h->value);
      }
    }
    for (unsigned i = e.children.length; i-- > 0;) stack.push_back(static_cast<const GumboNode*>(e.children.data[i]));
  }
  // <base> applies to every link, also those before it in the document.
  std::unordered_set<std::string> seen;
  for (const auto& h : hrefs) {
    auto u = corio::http::join_url(base, h);
    if (u && seen.insert(*u).second) info.links.push_back(std::move(*u));
  }
  return info;
}

}  // namespace scrape
