#include "tuner/param_space.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

#include "tuner/check.hpp"

namespace convmish {

std::string config_string(const Config& c) {
  std::string s;
  for (const auto& [k, v] : c) {
    if (!s.empty()) s += '/';
    s += k + ':' + std::to_string(v);
  }
  return s;
}

Config parse_config(const std::string& s) {
  Config c;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, '/')) {
    if (item.empty()) continue;
    const auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0)
      throw UsageError("configuration '" + s + "': expected name:value items separated by '/'");
    try {
      size_t used = 0;
      const std::string num = item.substr(colon + 1);
      c[item.substr(0, colon)] = std::stoll(num, &used);
      if (used != num.size()) throw std::invalid_argument(num);
    } catch (const std::exception&) {
      throw UsageError("configuration '" + s + "': '" + item + "' has no integer value");
    }
  }
  return c;
}

ParamSpace& ParamSpace::add(std::string name, std::vector<int64_t> values, std::string help) {
  if (values.empty()) throw std::logic_error("parameter " + name + " has no values");
  params_.push_back({std::move(name), std::move(values), std::move(help)});
  return *this;
}

ParamSpace& ParamSpace::require(std::string description, std::function<bool(const Config&)> holds) {
  constraints_.push_back({std::move(description), std::move(holds)});
  return *this;
}

uint64_t ParamSpace::cartesian_size() const {
  uint64_t n = 1;
  for (const auto& p : params_) n *= p.values.size();
  return n;
}

std::optional<std::string> ParamSpace::violation(const Config& c) const {
  for (const auto& p : params_) {
    auto it = c.find(p.name);
    if (it == c.end()) return "parameter '" + p.name + "' is missing";
    if (std::find(p.values.begin(), p.values.end(), it->second) == p.values.end())
      return "value " + std::to_string(it->second) + " is not in the space of '" + p.name + "'";
  }
  for (const auto& kv : c) {  // not a structured binding: clang 14 (the fuzz build) cannot capture one
    const std::string& k = kv.first;
    if (std::none_of(params_.begin(), params_.end(), [&](const Param& p) { return p.name == k; }))
      return "unknown parameter '" + k + "'";
  }
  for (const auto& con : constraints_)
    if (!con.holds(c)) return "violates: " + con.description;
  return std::nullopt;
}

Config ParamSpace::at_index(uint64_t index) const {
  Config c;
  // The last parameter varies fastest.
  for (auto it = params_.rbegin(); it != params_.rend(); ++it) {
    c[it->name] = it->values[index % it->values.size()];
    index /= it->values.size();
  }
  return c;
}

std::vector<Config> ParamSpace::enumerate() const { return enumerate(std::numeric_limits<size_t>::max()); }

namespace {
// Takes c into out unless `same` maps it onto a configuration already taken (then counts it in *left_out).
struct Distinct {
  const std::function<Config(const Config&)>& same;
  size_t* left_out;
  std::set<Config> seen;
  bool take(std::vector<Config>& out, Config c) {
    if (same && !seen.insert(same(c)).second) {
      if (left_out) ++*left_out;
      return false;
    }
    out.push_back(std::move(c));
    return true;
  }
};
}  // namespace

std::vector<Config> ParamSpace::enumerate(size_t limit, const std::function<Config(const Config&)>& same,
                                          size_t* left_out) const {
  std::vector<Config> out;
  Distinct distinct{same, left_out, {}};
  const uint64_t n = cartesian_size();
  for (uint64_t i = 0; i < n && out.size() < limit; ++i) {
    Config c = at_index(i);
    if (!violation(c)) distinct.take(out, std::move(c));
  }
  return out;
}

Config ParamSpace::default_config() const {
  const uint64_t n = cartesian_size();
  for (uint64_t i = 0; i < n; ++i) {
    Config c = at_index(i);
    if (!violation(c)) return c;
  }
  throw std::logic_error("parameter space has no valid configuration");
}

ParamSpace ParamSpace::pinned(const Config& fixed) const {
  ParamSpace out = *this;
  for (auto& p : out.params_) {
    const auto it = fixed.find(p.name);
    if (it == fixed.end()) continue;
    if (std::find(p.values.begin(), p.values.end(), it->second) == p.values.end()) {
      std::string vals;
      for (int64_t v : p.values) vals += (vals.empty() ? "" : ", ") + std::to_string(v);
      throw UsageError("pinned " + p.name + ":" + std::to_string(it->second) + " is not one of its values (" + vals +
                       ")");
    }
    p.values = {it->second};
  }
  return out;
}

bool ParamSpace::has(const std::string& name) const {
  return std::any_of(params_.begin(), params_.end(), [&](const Param& p) { return p.name == name; });
}

std::vector<Config> ParamSpace::sample(size_t n, std::mt19937_64& rng, const std::function<Config(const Config&)>& same,
                                       size_t* left_out) const {
  std::vector<uint64_t> order(cartesian_size());
  std::iota(order.begin(), order.end(), uint64_t(0));
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Config> out;
  if (n == 0) return out;
  Distinct distinct{same, left_out, {}};
  distinct.take(out, default_config());  // the default is always among the draws: every sample has a reference point
  for (uint64_t i : order) {
    if (out.size() >= n) break;
    Config c = at_index(i);
    if (!violation(c) && c != out.front()) distinct.take(out, std::move(c));
  }
  return out;
}

}  // namespace convmish
