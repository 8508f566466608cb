// Strict readers for integer (and optional number and string-list) fields of the JSON files the tuner writes.
// nlohmann's get<int>() of a floating-point value is a static_cast, undefined behaviour when the value is out of
// range (1e300), and silently truncates 1.5; these accept JSON integers in range only. A bad field throws
// JsonFieldError, a nlohmann::json::exception, so every reader that already turns json::exception into
// "malformed ..." handles it unchanged.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convmish {

class JsonFieldError : public nlohmann::json::exception {
 public:
  explicit JsonFieldError(const std::string& what) : exception(0, what.c_str()) {}
};

// A short description of a value for an error message: numbers as written, anything else by its type.
inline std::string json_describe(const nlohmann::json& v) {
  return v.is_number() ? v.dump() : std::string("a") + (v.is_array() || v.is_object() ? "n " : " ") + v.type_name();
}

// j[key] as an integer in [lo, hi]; throws JsonFieldError (or json::out_of_range when the key is missing).
inline int64_t json_int(const nlohmann::json& j, const char* key, int64_t lo = std::numeric_limits<int64_t>::min(),
                        int64_t hi = std::numeric_limits<int64_t>::max()) {
  const nlohmann::json& v = j.at(key);
  const std::string where = std::string("'") + key + "'";
  if (!v.is_number_integer()) throw JsonFieldError(where + " must be an integer, not " + json_describe(v));
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
    throw JsonFieldError(where + " = " + v.dump() + " is out of range");
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi)
    throw JsonFieldError(where + " = " + std::to_string(x) + " is outside " + std::to_string(lo) + ".." +
                         std::to_string(hi));
  return x;
}

inline int json_int32(const nlohmann::json& j, const char* key) {
  return int(json_int(j, key, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

// j[key] when present and not null, else `fallback`.
inline int64_t json_int_or(const nlohmann::json& j, const char* key, int64_t fallback) {
  return j.contains(key) && !j.at(key).is_null() ? json_int(j, key) : fallback;
}

inline int json_int32_or(const nlohmann::json& j, const char* key, int fallback) {
  return j.contains(key) && !j.at(key).is_null() ? json_int32(j, key) : fallback;
}

inline uint64_t json_uint_or(const nlohmann::json& j, const char* key, uint64_t fallback) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  const nlohmann::json& v = j.at(key);
  if (!v.is_number_unsigned())
    throw JsonFieldError(std::string("'") + key + "' must be a non-negative integer, not " + json_describe(v));
  return v.get<uint64_t>();
}

// j[key] as a number when present and not null, else nullopt; anything else throws JsonFieldError naming the key.
inline std::optional<double> json_number_opt(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  const nlohmann::json& v = j.at(key);
  if (!v.is_number()) throw JsonFieldError(std::string("'") + key + "' must be a number, not " + json_describe(v));
  return v.get<double>();
}

// j[key] as a list of strings when present and not null, else nullopt; anything else throws JsonFieldError.
inline std::optional<std::vector<std::string>> json_strings_opt(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  const nlohmann::json& v = j.at(key);
  const bool ok =
      v.is_array() && std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return e.is_string(); });
  if (!ok)
    throw JsonFieldError(std::string("'") + key + "' must be a list of strings, not " +
                         (v.is_array() ? std::string("a list with a non-string") : json_describe(v)));
  return v.get<std::vector<std::string>>();
}

}  // namespace convmish
