#include "scrape/bodies.hpp"

#include <openssl/evp.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

namespace scrape {

struct body_saver::hasher {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~hasher() { EVP_MD_CTX_free(ctx); }
  bool reset() { return ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1; }
};

namespace {

std::string temp_name(const std::string& dir) {
  static std::atomic<unsigned long> counter{0};
  return dir + "/.body-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

body_saver::body_saver(std::string dir, bool keep)
    : dir_(std::move(dir)), keep_(keep), hash_(std::make_unique<hasher>()) {}

body_saver::~body_saver() { discard(); }

void body_saver::discard() noexcept {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  if (!temp_.empty()) {
    ::unlink(temp_.c_str());
    temp_.clear();
  }
}

void body_saver::fail(const std::string& what) noexcept {
  try {
    if (failure_.empty()) failure_ = what + ": " + std::strerror(errno);
  } catch (...) {  // (out of memory: the generic message)
  }
  discard();
}

void body_saver::begin(unsigned, const corio::http::fields&) {
  discard();
  kept_.clear();
  if (!failure_.empty()) return;
  temp_ = temp_name(dir_);
  file_ = std::fopen(temp_.c_str(), "wbx");
  if (!file_) return fail("cannot create " + temp_);
  if (!hash_->reset()) return fail("cannot compute SHA-256");
}

void body_saver::write(std::string_view data) noexcept {
  if (keep_) {
    try {
      kept_.append(data);
    } catch (...) {
      errno = ENOMEM;
      fail("cannot hold the body");
      return;
    }
  }
  if (!file_) return;
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) return fail("cannot write " + temp_);
  if (EVP_DigestUpdate(hash_->ctx, data.data(), data.size()) != 1) fail("cannot compute SHA-256");
}

std::optional<body_saver::stored> body_saver::commit() {
  if (!failure_.empty()) return std::nullopt;
  if (!file_) {  // no response header arrived: nothing to store
    return std::nullopt;
  }
  if (std::fflush(file_) != 0 || std::ferror(file_)) {
    fail("cannot write " + temp_);
    return std::nullopt;
  }
  std::fclose(file_);
  file_ = nullptr;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_DigestFinal_ex(hash_->ctx, md, &len) != 1) {
    fail("cannot compute SHA-256");
    return std::nullopt;
  }
  static constexpr char hex[] = "0123456789abcdef";
  stored s;
  for (unsigned i = 0; i < len; ++i) {
    s.sha256 += hex[md[i] >> 4];
    s.sha256 += hex[md[i] & 0xF];
  }
  const std::string sub = dir_ + "/" + s.sha256.substr(0, 2);
  if (::mkdir(sub.c_str(), 0777) != 0 && errno != EEXIST) {
    fail("cannot create " + sub);
    return std::nullopt;
  }
  s.path = sub + "/" + s.sha256;
  struct stat st {};
  if (::stat(s.path.c_str(), &st) == 0) {  // the same content, stored before
    discard();
    return s;
  }
  if (std::rename(temp_.c_str(), s.path.c_str()) != 0) {
    fail("cannot store " + s.path);
    return std::nullopt;
  }
  temp_.clear();
  return s;
}

}  // namespace scrape
