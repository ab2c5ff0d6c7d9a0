#include "scrape/links.hpp"

#include <corio/http/fields.hpp>
#include <corio/http/url.hpp>

#include <gumbo.h>

#include <cctype>
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

}  // namespace

bool is_html(std::string_view content_type) noexcept {
  return content_type == "text/html" || content_type == "application/xhtml+xml";
}

page_info extract_page(std::string_view html, std::string_view page_url) {
  page_info info;
  html = html.substr(0, shallow_prefix(html, 512));
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
