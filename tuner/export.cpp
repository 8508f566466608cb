// `tuner export --pytorch`: choosing the record, the exporter registry, inlining kernels/'s headers and inferring
// the shapes an export admits. The Python and C++ text of the module is written by tuner/export_python.cpp.
#include "tuner/export.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/embedded.hpp"

namespace convmish {

// tuner/export_python.cpp
std::string render_python_module(const ExportContext& ctx, const ExportLaunch& launch,
                                 const std::vector<ShapeRule>& rules, const std::string& source);

namespace {

std::vector<Exporter>& exporters() {
  static std::vector<Exporter> e;
  return e;
}

void inline_file(const std::string& name, std::set<std::string>& done, std::string& out) {
  static const std::regex include(R"re(^\s*#\s*include\s*"([^"]+)".*$)re");
  static const std::regex once(R"(^\s*#\s*pragma\s+once\b.*$)");
  std::istringstream in(embedded_kernel(name));
  out += "// ---- kernels/" + name + " ----\n";
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, include)) {
      const std::string header = m[1];
      if (done.insert(header).second) {
        inline_file(header, done, out);
        out += "// ---- kernels/" + name + " (continued) ----\n";
      } else {
        out += "// " + line + "  (inlined above)\n";
      }
    } else if (std::regex_match(line, once)) {
      out += "// " + line + "  (inlined once)\n";
    } else {
      out += line + "\n";
    }
  }
}

// Everything about a kernel list that decides what gets compiled.
std::string compile_key(const std::vector<KernelSpec>& specs) {
  std::string k;
  for (const auto& s : specs) {
    k += s.source + "|" + s.name + "|" + (s.arch_specific ? "a" : "") + "|";
    for (const auto& [n, v] : s.defines) k += n + "=" + v + ";";
    for (const auto& o : s.options) k += o + ";";
    k += "\n";
  }
  return k;
}

int64_t& dim_ref(Problem& p, const std::string& d) {
  if (d == "N") return p.N;
  if (d == "C") return p.C;
  if (d == "H") return p.H;
  if (d == "W") return p.W;
  return p.K;
}

// Candidate rules for one dimension, most permissive first; the first that predicts every probe exactly is taken.
std::vector<ShapeRule> candidates(const std::string& dim, int64_t value) {
  using K = ShapeRule::Kind;
  std::vector<ShapeRule> out;
  for (int64_t m : {2, 4, 8, 16, 32, 64, 128}) out.push_back({dim, K::kNotMultipleOf, m, 0});
  for (int64_t m : {2, 4, 8, 16, 32, 64, 128}) out.push_back({dim, K::kMultipleOf, m, 0});
  for (int64_t m : {2, 4, 8, 16, 32, 64, 128, 256})
    out.push_back({dim, K::kRoundsTo, m, (value + m - 1) / m * m});
  out.push_back({dim, K::kEqual, 1, value});
  return out;
}

std::string variant_list(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ", ") + id;
  return s.empty() ? "none" : s;
}

}  // namespace

bool register_exporter(Exporter e) {
  exporters().push_back(std::move(e));
  return true;
}

const Exporter* find_exporter(const Variant& v) {
  for (const auto& e : exporters())
    if (e.handles(v)) return &e;
  return nullptr;
}

std::vector<std::string> exportable_variant_ids() {
  std::vector<std::string> ids;
  for (const auto& v : Registry::instance().all())
    if (find_exporter(*v)) ids.push_back(v->id());
  return ids;
}

bool ShapeRule::holds(int64_t v) const {
  switch (kind) {
    case Kind::kEqual: return v == value;
    case Kind::kMultipleOf: return v % m == 0;
    case Kind::kNotMultipleOf: return v % m != 0;
    case Kind::kRoundsTo: return (v + m - 1) / m * m == value;
  }
  return false;
}

std::string ShapeRule::text() const {
  const std::string ms = std::to_string(m), vs = std::to_string(value);
  switch (kind) {
    case Kind::kEqual: return dim == "bias" ? (value ? "with a bias" : "without a bias") : dim + " == " + vs;
    case Kind::kMultipleOf: return dim + " a multiple of " + ms;
    case Kind::kNotMultipleOf: return dim + " not a multiple of " + ms;
    case Kind::kRoundsTo: return dim + " in " + std::to_string(value - m + 1) + ".." + vs;
  }
  return {};
}

std::vector<ShapeRule> infer_shape_rules(const Variant& v, const Problem& p, const Config& c) {
  const std::string base = compile_key(v.kernels(p, c));
  auto same_kernels = [&](const Problem& q) {
    try {
      q.validate();
    } catch (const UsageError&) {
      return std::optional<bool>{};  // not a valid problem: no evidence either way
    }
    try {
      return std::optional<bool>{compile_key(v.kernels(q, c)) == base};
    } catch (const std::exception&) {
      return std::optional<bool>{false};
    }
  };
  std::vector<ShapeRule> rules;
  std::map<std::string, std::vector<int64_t>> probes;
  for (const std::string dim : {"N", "C", "H", "W", "K"}) {
    Problem q = p;
    const int64_t at = dim_ref(q, dim);
    std::set<int64_t> values = {1,  2,  3,  4,  5,  6,   7,   8,   9,   11,  12,  15,  16,  17,  20,  24,
                                31, 32, 33, 40, 48, 63,  64,  65,  96,  127, 128, 129, 192, 255, 256, 257,
                                384, 500, 512, 513, at + 1, at + 2, at + 3, 2 * at, 3 * at};
    for (int64_t d = 1; d <= 16; ++d) {  // densely around the record's value: tells apart rounding to 2..16
      values.insert(at + d);
      if (at > d) values.insert(at - d);
    }
    std::vector<std::pair<int64_t, bool>> seen;
    for (int64_t x : values) {
      dim_ref(q, dim) = x;
      if (const auto same = same_kernels(q)) seen.emplace_back(x, *same), probes[dim].push_back(x);
    }
    if (std::all_of(seen.begin(), seen.end(), [](const auto& s) { return s.second; })) continue;
    for (const ShapeRule& r : candidates(dim, at))
      if (std::all_of(seen.begin(), seen.end(), [&](const auto& s) { return r.holds(s.first) == s.second; })) {
        rules.push_back(r);
        break;
      }
    if (rules.empty() || rules.back().dim != dim) rules.push_back({dim, ShapeRule::Kind::kEqual, 1, at});
  }
  Problem nb = p;
  nb.bias = !p.bias;
  if (compile_key(v.kernels(nb, c)) != base) rules.push_back({"bias", ShapeRule::Kind::kEqual, 1, p.bias ? 1 : 0});

  // Dimensions were probed one at a time; check that the rules also hold when several change together.
  std::mt19937_64 rng(20261125);
  for (int i = 0; i < 64; ++i) {
    Problem q = p;
    for (auto& [dim, vals] : probes) dim_ref(q, dim) = vals[rng() % vals.size()];
    bool admitted = true;
    for (const auto& r : rules) admitted = admitted && r.holds(r.dim == "bias" ? int64_t(q.bias) : dim_ref(q, r.dim));
    if (const auto same = same_kernels(q); admitted && same && !*same)
      throw UsageError(v.id() + ": its kernels' defines depend on the shape in a way the export cannot describe (" +
                       q.shape_string() + " compiles differently); export needs a rule for it in tuner/export.cpp");
  }
  return rules;
}

std::string inline_kernel_sources(const std::vector<KernelSpec>& specs) {
  std::set<std::string> done;
  std::string out;
  for (const auto& s : specs)
    if (done.insert(s.source).second) inline_file(s.source, done, out);
  return out;
}

ExportedModule export_record(const Variant& v, const Record& r, const nlohmann::json& meta, const std::string& source) {
  const Exporter* e = find_exporter(v);
  if (!e)
    throw UsageError(v.id() + " is not exportable to PyTorch (exportable: " + variant_list(exportable_variant_ids()) +
                     ")");
  if (r.status != Status::kOk || !r.timing)
    throw UsageError("record " + std::to_string(r.id) + " (" + r.name() + ") is " + to_string(r.status) +
                     ": only validated and timed (ok) records are exported");
  Problem p;
  try {
    p = meta.at("problem").get<Problem>();
  } catch (const std::exception& ex) {
    throw UsageError(source + ": its metadata has no valid problem: " + ex.what());
  }
  const Config& c = r.params;
  if (const auto why = v.space().violation(c))
    throw UsageError("record " + std::to_string(r.id) + " (" + r.name() + ") does not fit " + v.id() +
                     " as this build defines it: " + *why);
  const ExportContext ctx{v, p, c, r, meta};
  try {
    const ExportLaunch launch = e->make(ctx);
    const auto rules = infer_shape_rules(v, p, c);
    return {render_python_module(ctx, launch, rules, source), r, rules};
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& ex) {
    throw UsageError("cannot export " + r.name() + ": " + ex.what());
  }
}

ExportedModule export_pytorch(const ExportRequest& req) {
  const ResultsFile f = read_results(req.results);
  const std::string source = req.results.filename().string();
  std::vector<const Variant*> allowed;
  if (!req.variants.empty()) {
    allowed = Registry::instance().match(req.variants);  // UsageError when no variant matches
    std::vector<std::string> ids;
    for (const Variant* v : allowed) ids.push_back(v->id());
    std::erase_if(allowed, [](const Variant* v) { return !find_exporter(*v); });
    if (allowed.empty())
      throw UsageError(variant_list(ids) + (ids.size() == 1 ? " is" : " are") + " not exportable to PyTorch " +
                       "(exportable: " + variant_list(exportable_variant_ids()) + ")");
  } else {
    for (const auto& v : Registry::instance().all())
      if (find_exporter(*v)) allowed.push_back(v.get());
  }
  auto allowed_variant = [&](const std::string& id) -> const Variant* {
    for (const Variant* v : allowed)
      if (v->id() == id) return v;
    return nullptr;
  };

  if (req.record >= 0) {
    for (const auto& r : f.records)
      if (r.id == req.record) {
        const Variant* v = Registry::instance().find(r.variant);
        if (!v) throw UsageError("record " + std::to_string(r.id) + ": variant " + r.variant + " is not in this build");
        if (!req.precision.empty() && r.precision != req.precision)
          throw UsageError("record " + std::to_string(r.id) + " is of precision " + r.precision + ", not " +
                           req.precision);
        return export_record(*v, r, f.meta, source);
      }
    throw UsageError(source + " has no record " + std::to_string(req.record));
  }

  const Record* best = nullptr;
  size_t ok = 0;
  std::set<std::string> ok_kinds;
  for (const auto& r : f.records) {
    if (r.status != Status::kOk || !r.timing) continue;
    ++ok;
    ok_kinds.insert(r.variant + " (" + r.precision + ")");
    if (!req.precision.empty() && r.precision != req.precision) continue;
    if (!allowed_variant(r.variant)) continue;
    if (!best || r.timing->median_ms < best->timing->median_ms) best = &r;
  }
  if (!best) {
    if (ok == 0) throw UsageError(source + " has no ok record (" + std::to_string(f.records.size()) + " records)");
    std::vector<std::string> kinds(ok_kinds.begin(), ok_kinds.end());
    throw UsageError(source + " has no ok record" + (req.precision.empty() ? "" : " of precision " + req.precision) +
                     " of an exportable variant" + (req.variants.empty() ? "" : " matching '" + req.variants + "'") +
                     "; ok records: " + variant_list(kinds));
  }
  return export_record(*allowed_variant(best->variant), *best, f.meta, source);
}

}  // namespace convmish
