// A variant's tuning space: named integer parameters, each with a list of values, and constraints that reject
// combinations before anything is compiled. A Config is one point: parameter name -> value, ordered by name.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace convmish {

using Config = std::map<std::string, int64_t>;

// "block:256/vec:4" (Google Benchmark's name/key:value style); "" for an empty config.
std::string config_string(const Config& c);
// Inverse of config_string; throws UsageError on malformed text.
Config parse_config(const std::string& s);

struct Param {
  std::string name;
  std::vector<int64_t> values;
  std::string help;
};

struct Constraint {
  std::string description;  // what must hold, e.g. "tile_h * tile_w divisible by threads"
  std::function<bool(const Config&)> holds;
};

class ParamSpace {
 public:
  ParamSpace& add(std::string name, std::vector<int64_t> values, std::string help = {});
  ParamSpace& require(std::string description, std::function<bool(const Config&)> holds);

  const std::vector<Param>& params() const { return params_; }
  const std::vector<Constraint>& constraints() const { return constraints_; }
  // Size of the cartesian product, before constraints.
  uint64_t cartesian_size() const;
  // The description of the first constraint `c` violates, or of a missing/unknown parameter or value.
  std::optional<std::string> violation(const Config& c) const;
  // Every configuration that satisfies the constraints, in lexicographic order of the value lists; with `limit`, only
  // the first `limit` of them (the walk stops there: the large spaces hold millions).
  // With `same`, a configuration whose same(c) equals that of one already taken is left out (and counted in
  // *left_out): a variant's runs_as on one problem, so that the list holds no two that run alike.
  std::vector<Config> enumerate() const;
  std::vector<Config> enumerate(size_t limit, const std::function<Config(const Config&)>& same = {},
                                size_t* left_out = nullptr) const;
  // The first valid configuration (the values listed first are the defaults).
  Config default_config() const;
  // Up to `n` distinct valid configurations: the default, then draws uniformly without replacement (with `same`, as
  // in enumerate: draws that run as one already taken are left out, and the next draw is taken instead).
  std::vector<Config> sample(size_t n, std::mt19937_64& rng, const std::function<Config(const Config&)>& same = {},
                             size_t* left_out = nullptr) const;
  // A copy in which each parameter named in `fixed` takes only that value (names this space lacks are ignored),
  // for sweeping the rest. Throws UsageError when a value is not among the parameter's values.
  ParamSpace pinned(const Config& fixed) const;
  bool has(const std::string& name) const;

 private:
  Config at_index(uint64_t index) const;
  std::vector<Param> params_;
  std::vector<Constraint> constraints_;
};

}  // namespace convmish
