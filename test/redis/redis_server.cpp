#include "redis/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace corio::test {

namespace {

std::string program() {
  const char* p = std::getenv("CORIO_REDIS_SERVER");
  std::string s = (p && *p) ? p : "/usr/bin/redis-server";
  if (::access(s.c_str(), X_OK) != 0) {
    throw std::runtime_error("redis-server not found at " + s + " (scripts/deps.sh installs Debian's redis-server)");
  }
  return s;
}

/// A blocking TCP connection to 127.0.0.1:port, or -1. Reads and writes time out after 5 s.
int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string exchange(std::uint16_t port, const std::string& request, std::size_t want_at_least) {
  const int fd = connect_to(port);
  if (fd < 0) return {};
  std::string out;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    while (out.size() < want_at_least || out.find("\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

redis_server::redis_server(std::vector<std::string> extra) : extra_(std::move(extra)) {
  char tmpl[] = "/tmp/corio-redis-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // A port that was free a moment ago may be taken meanwhile: a few tries.
  for (int attempt = 0;; ++attempt) {
    port_ = unused_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 4) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw;
      }
    }
  }
}

redis_server::~redis_server() {
  kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string redis_server::url(const std::string& tail) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + tail;
}

void redis_server::launch() {
  const std::string prog = program();
  std::vector<std::string> args = {prog,           "--port",       std::to_string(port_), "--bind",
                                   "127.0.0.1",    "--dir",        dir_,                  "--save",
                                   "",             "--appendonly", "no",                  "--daemonize",
                                   "no",           "--logfile",    dir_ + "/redis.log",   "--enable-debug-command",
                                   "local"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, prog.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) throw std::runtime_error("cannot start " + prog + ": " + std::strerror(rc));
  pid_ = pid;
}

bool redis_server::answers_ping() const {
  const std::string r = exchange(port_, "PING\r\n", 1);
  // "+PONG", or "-NOAUTH" from a server with a password: either way it is up.
  return r.starts_with("+PONG") || r.starts_with("-NOAUTH");
}

void redis_server::start() {
  if (pid_ > 0) throw std::logic_error("redis_server::start: already running");
  launch();
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    if (answers_ping()) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream log(dir_ + "/redis.log");
      std::stringstream ss;
      ss << log.rdbuf();
      throw std::runtime_error("redis-server exited at start-up; its log:\n" + ss.str());
    }
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(20)) {
      kill();
      throw std::runtime_error("redis-server does not answer PING after 20 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void redis_server::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void redis_server::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
  // SIGSTOP is asynchronous: wait until the process is seen stopped.
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'T') return;
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(10)) {
      throw std::runtime_error("redis-server not stopped after SIGSTOP");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void redis_server::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string redis_server::raw(const std::string& resp_command) const { return exchange(port_, resp_command, 1); }

}  // namespace corio::test
