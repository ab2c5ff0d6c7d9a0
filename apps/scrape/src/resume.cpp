#include "scrape/resume.hpp"

#include "scrape/options.hpp"
#include "scrape/output.hpp"

#include <boost/json/parse.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>

#include <unistd.h>

namespace scrape {

namespace {

/// Calls `each(line, line_number)` for every whole line of `path`; a last line without its '\n'
/// (a write cut short by a kill) is cut off the file. Returns false if the file does not exist.
bool read_lines(const std::string& path, const std::function<void(std::string_view, std::size_t)>& each, bool& torn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return false;
    throw setup_error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string line;
  std::uint64_t whole = 0;  // bytes in whole lines so far
  std::size_t n = 0;
  while (std::getline(in, line)) {
    if (in.eof()) {  // no '\n' after it
      torn = true;
      break;
    }
    whole += line.size() + 1;
    each(line, ++n);
  }
  if (in.bad()) throw setup_error("cannot read " + path + ": " + std::strerror(errno));
  if (torn && ::truncate(path.c_str(), static_cast<off_t>(whole)) != 0) {
    throw setup_error("cannot cut the torn last line off " + path + ": " + std::strerror(errno));
  }
  return true;
}

}  // namespace

std::string state_path(const std::string& out) { return out + ".state"; }
std::string_view state_header() { return "corio-scrape crawl state 1\n"; }

bool is_final_error_kind(std::string_view error_kind) noexcept { return error_kind != "interrupted"; }

previous_run load_previous_run(const std::string& out, bool crawl) {
  previous_run prev;
  // The rows: which URLs are done, and whether the file must be rewritten without some rows.
  std::vector<bool> keep;  // per line
  bool rewrite = false;
  prev.had_output = read_lines(
      out,
      [&](std::string_view line, std::size_t n) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(line, ec);
        const auto* row = v.if_object();
        const auto* url = row ? row->if_contains("url") : nullptr;
        if (ec || !url || !url->is_string()) {
          throw setup_error(out + " line " + std::to_string(n) + " is not a corio-scrape row: not resuming from it");
        }
        const auto* kind = row->if_contains("error_kind");
        const bool final = !(kind && kind->is_string() && !is_final_error_kind(kind->get_string()));
        const bool first = final && prev.done.emplace(url->get_string()).second;
        if (first) {
          const auto* f = row->if_contains("final_url");
          if (f && f->is_string()) prev.final_urls.emplace_back(f->get_string());
        } else {
          rewrite = true;
          ++prev.dropped;
        }
        keep.push_back(first);
      },
      prev.torn);
  if (rewrite) {
    const std::string tmp = out + ".resume-tmp";
    try {
      auto dst = fd_sink::open(tmp, false);
      std::string batch;
      std::size_t i = 0;
      bool ignored = false;
      read_lines(
          out,
          [&](std::string_view line, std::size_t) {
            if (!keep[i++]) return;
            batch.append(line);
            batch += '\n';
            if (batch.size() >= 1 << 16) {
              dst.write(batch);
              batch.clear();
            }
          },
          ignored);
      dst.write(batch);
    } catch (const write_error& e) {
      std::remove(tmp.c_str());
      throw setup_error(std::string(e.what()) + ": not resuming");
    } catch (const std::system_error& e) {
      std::remove(tmp.c_str());
      throw setup_error(std::string(e.what()) + ": not resuming");
    } catch (...) {
      std::remove(tmp.c_str());  // e.g. FILE changed under us between the two passes
      throw;
    }
    if (std::rename(tmp.c_str(), out.c_str()) != 0) {
      const int err = errno;
      std::remove(tmp.c_str());
      throw setup_error("cannot replace " + out + ": " + std::strerror(err));
    }
  }
  if (!crawl) return prev;

  // The journal: every URL discovered, in order.
  const std::string state = state_path(out);
  std::vector<std::pair<std::string, int>> discovered;
  bool torn_state = false;
  prev.had_state = read_lines(
      state,
      [&](std::string_view line, std::size_t n) {
        auto bad = [&] {
          return setup_error(state + " line " + std::to_string(n) + " is not a corio-scrape state record");
        };
        if (n == 1) {
          if (std::string(line) + "\n" != state_header()) throw bad();
          return;
        }
        if (line.rfind("F ", 0) == 0) return;  // the row in FILE is what counts
        if (line.rfind("D ", 0) != 0) throw bad();
        line.remove_prefix(2);
        const auto space = line.find(' ');
        int depth = -1;
        if (space == std::string_view::npos) throw bad();
        auto [p, err] = std::from_chars(line.data(), line.data() + space, depth);
        if (err != std::errc() || p != line.data() + space || depth < 0 || space + 1 >= line.size()) throw bad();
        discovered.emplace_back(std::string(line.substr(space + 1)), depth);
      },
      torn_state);
  std::unordered_set<std::string> once;
  for (auto& [url, depth] : discovered) {
    if (once.insert(url).second) prev.discovered.emplace_back(std::move(url), depth);
  }
  return prev;
}

}  // namespace scrape
