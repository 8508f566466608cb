#include <fnmatch.h>

#include <algorithm>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/embedded.hpp"
#include "tuner/device.hpp"
#include "tuner/variant.hpp"

namespace convmish {

Registry& Registry::instance() {
  static Registry r;
  return r;
}

bool Registry::add(std::unique_ptr<Variant> v) {
  if (find(v->id())) throw std::logic_error("variant registered twice: " + v->id());
  variants_.push_back(std::move(v));
  std::sort(variants_.begin(), variants_.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  return true;
}

const Variant* Registry::find(const std::string& id) const {
  for (const auto& v : variants_)
    if (v->id() == id) return v.get();
  return nullptr;
}

std::vector<std::vector<Config>> given_configs(const std::vector<const Variant*>& selected,
                                               const std::vector<Config>& given) {
  for (size_t c = 0; c < given.size(); ++c)  // two jobs of one name would share a record of --resume's journal
    if (std::find(given.begin(), given.begin() + c, given[c]) != given.begin() + c)
      throw UsageError("configuration '" + config_string(given[c]) + "' is given twice with -c (--repeat runs it "
                       "again)");
  std::vector<std::vector<Config>> out(selected.size());
  std::vector<std::string> fits_none(given.size());  // each configuration's refusals by variant, for the error
  std::vector<bool> taken(given.size(), false);
  for (size_t v = 0; v < selected.size(); ++v) {
    const std::string& id = selected[v]->id();
    std::string refusals;
    for (size_t c = 0; c < given.size(); ++c) {
      const std::string name = "'" + config_string(given[c]) + "'";
      if (const auto no = selected[v]->space().violation(given[c])) {
        refusals += (refusals.empty() ? "" : "; ") + name + ": " + *no;
        fits_none[c] += (fits_none[c].empty() ? "" : "; ") + id + ": " + *no;
        if (given.size() == 1) throw UsageError("configuration " + name + " for " + id + ": " + *no);
        continue;
      }
      out[v].push_back(given[c]);
      taken[c] = true;
    }
    if (out[v].empty()) throw UsageError("no configuration given with -c fits " + id + " (" + refusals + ")");
  }
  for (size_t c = 0; c < given.size(); ++c)
    if (!taken[c])
      throw UsageError("configuration '" + config_string(given[c]) + "' fits no selected variant (" + fits_none[c] +
                       ")");
  return out;
}

std::vector<const Variant*> Registry::match(const std::string& globs) const {
  std::vector<std::string> pats;
  std::stringstream ss(globs);
  std::string p;
  while (std::getline(ss, p, ','))
    if (!p.empty()) pats.push_back(p);
  std::vector<const Variant*> out;
  for (const auto& v : variants_)
    for (const auto& pat : pats)
      if (fnmatch(pat.c_str(), v->id().c_str(), 0) == 0) {
        out.push_back(v.get());
        break;
      }
  if (out.empty()) {
    std::string ids;
    for (const auto& v : variants_) ids += (ids.empty() ? "" : ", ") + v->id();
    throw UsageError("no variant matches '" + globs + "'; registered: " + ids);
  }
  return out;
}

namespace {
std::vector<EmbeddedFile>& added_kernel_files() {
  static std::vector<EmbeddedFile> files;
  return files;
}
}  // namespace

void add_embedded_kernel(EmbeddedFile f) {
  if (!f.name.ends_with(".cu")) throw std::logic_error("only .cu kernel files can be added: " + f.name);
  added_kernel_files().push_back(std::move(f));
}

const std::string& embedded_kernel(const std::string& name) {
  for (const auto& f : embedded_kernel_files())
    if (f.name == name) return f.text;
  for (const auto& f : added_kernel_files())
    if (f.name == name) return f.text;
  throw std::out_of_range("no embedded kernel file named " + name);
}

double ffma_flops_per_clk_per_sm(const DeviceInfo& d) {
  const bool full = d.cc_major > 8 || (d.cc_major == 8 && d.cc_minor >= 6);  // sm_70, sm_75, sm_80: 64 lanes
  return full ? kFfmaFlopsPerClkPerSm : kFfmaFlopsPerClkPerSm / 2;
}

nlohmann::json ceiling_json(const Ceiling& c, int sm_count, int clock_mhz, double tflops) {
  const double peak = c.flops_per_clk_per_sm * sm_count * clock_mhz * 1e6 / 1e12;
  return {{"name", c.name},
          {"flops_per_clk_per_sm", c.flops_per_clk_per_sm},
          {"clock_mhz", clock_mhz},
          {"tflops", peak},
          {"pct", peak > 0 ? 100.0 * tflops / peak : 0.0}};
}

}  // namespace convmish
