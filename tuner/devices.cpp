#include "tuner/devices.hpp"

#include <algorithm>
#include <charconv>

#include "tuner/check.hpp"
#include "tuner/device.hpp"

namespace convmish {

using nlohmann::json;

DeviceList parse_devices(const std::string& spec) {
  DeviceList out;
  if (spec == "all") {
    out.all = true;
    return out;
  }
  auto refuse = [&](const std::string& why) {
    throw UsageError("--devices '" + spec + "': " + why + "; expected 'all' or GPU indices such as 0,1");
  };
  size_t pos = 0;
  do {
    const size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string item = spec.substr(pos, comma - pos);
    int index = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), index);
    if (item.empty() || item.size() > 9 || ec != std::errc() || end != item.data() + item.size() || index < 0)
      refuse("'" + item + "' is not a GPU index");
    if (std::find(out.indices.begin(), out.indices.end(), index) != out.indices.end())
      refuse("GPU " + item + " is listed twice");
    out.indices.push_back(index);
    pos = comma + 1;
  } while (pos <= spec.size());
  return out;
}

std::vector<int> resolve_devices(const DeviceList& list, int count, const std::string& why) {
  require_gpu(count, why);
  std::vector<int> out = list.indices;
  if (list.all)
    for (int i = 0; i < count; ++i) out.push_back(i);
  for (int i : out) require_gpu_index("--devices", i, count, why);
  return out;
}

JobDispenser::JobDispenser(std::vector<bool> is_baseline, size_t lanes)
    : baseline_(std::move(is_baseline)), own_(lanes, 0) {}

std::optional<size_t> JobDispenser::next(size_t lane) {
  const size_t n = baseline_.size();
  size_t& own = own_.at(lane);
  while (own < n && !baseline_[own]) ++own;
  while (shared_ < n && baseline_[shared_]) ++shared_;
  if (own < n && own < shared_) return own++;  // its baseline comes first in plan order (or nothing shared is left)
  if (shared_ < n) return shared_++;
  return std::nullopt;
}

std::vector<size_t> JobDispenser::upcoming(size_t lane, size_t after, size_t window) const {
  std::vector<size_t> out;
  for (size_t j = after + 1; j < baseline_.size() && j <= after + window; ++j)
    if (j >= (baseline_[j] ? own_.at(lane) : shared_)) out.push_back(j);
  return out;
}

std::set<std::string> device_models(const json& meta) {
  std::set<std::string> models;
  if (!meta.contains("devices")) return {meta.at("device").at("name").get<std::string>()};
  for (const json& d : meta.at("devices")) models.insert(d.at("device").at("name").get<std::string>());
  return models;
}

}  // namespace convmish
