// Status / StatusOr<T>: the error type returned across module boundaries (no exceptions cross them).
// Value types; thread-compatible. A Status carries a code and a human-readable message that names the
// offending file, tensor, field or value.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mms {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad input from a user or a file
  kNotFound,          // missing file, tensor, key
  kOutOfRange,        // index/size beyond limits, truncated data
  kUnimplemented,     // valid but unsupported (e.g. a quantized tensor type)
  kResourceExhausted, // memory, KV blocks, limits
  kInternal,          // a bug
  kUnavailable,       // transient
  kIoError,           // the OS said no
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: message"
  std::string to_string() const;

  // Prefixes context to the message, e.g. the file name: "model.gguf: tensor 'x' ...".
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) std::abort();    // an OK status carries no value
  }
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  T& value() & { check(); return std::get<T>(v_); }
  const T& value() const& { check(); return std::get<T>(v_); }
  T&& value() && { check(); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const {
    if (!ok()) std::abort();
  }
  std::variant<Status, T> v_;
};

}  // namespace mms

#define MMS_STATUS_CONCAT_INNER(a, b) a##b
#define MMS_STATUS_CONCAT(a, b) MMS_STATUS_CONCAT_INNER(a, b)

#define MMS_RETURN_IF_ERROR(expr)           \
  do {                                      \
    ::mms::Status mms_status_ = (expr);     \
    if (!mms_status_.ok()) return mms_status_; \
  } while (0)

// MMS_ASSIGN_OR_RETURN(auto x, f());
#define MMS_ASSIGN_OR_RETURN(lhs, expr) \
  MMS_ASSIGN_OR_RETURN_IMPL(MMS_STATUS_CONCAT(mms_statusor_, __LINE__), lhs, expr)
#define MMS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
