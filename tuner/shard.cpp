#include "tuner/shard.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "tuner/check.hpp"
#include "tuner/json_read.hpp"
#include "tuner/rtc.hpp"

namespace convmish {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool parse_int(std::string_view s, int* v) {
  if (s.empty() || s.size() > 9) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

bool is_baseline_record(const Record& r, const json& meta) {
  return !meta.value("baseline", json()).is_null() && r.variant == kBaselineVariant && r.params == baseline_config();
}

std::string record_key(const Record& r) {
  const json round = r.details.is_object() ? r.details.value("round", json(0)) : json(0);
  // Rounds are 0..999 (--repeat takes 1..1000); anything else is not a round of this tool's and counts as round 0.
  const bool ok = round.is_number_integer() && round.get<int64_t>() >= 0 && round.get<int64_t>() < 1000;
  return job_key(r.name(), ok ? int(round.get<int64_t>()) : 0);
}

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << std::hex << v;
  return s.str();
}

}  // namespace

Shard parse_shard(const std::string& spec) {
  const size_t slash = spec.find('/');
  Shard s;
  if (slash == std::string::npos || !parse_int(std::string_view(spec).substr(0, slash), &s.index) ||
      !parse_int(std::string_view(spec).substr(slash + 1), &s.count) || s.count < 1 || s.count > kMaxShards ||
      s.index < 0 || s.index >= s.count)
    throw UsageError("--shard '" + spec + "': expected I/N with 0 <= I < N <= " + std::to_string(kMaxShards) +
                     " (e.g. 0/4)");
  return s;
}

std::vector<size_t> shard_indices(const std::vector<Job>& plan, const Shard& s) {
  std::vector<size_t> out;
  size_t rank = 0;
  for (size_t i = 0; i < plan.size(); ++i)
    if (plan[i].is_baseline || rank++ % size_t(s.count) == size_t(s.index)) out.push_back(i);
  return out;
}

std::vector<std::string> planned_keys(const std::vector<Job>& plan) {
  std::vector<std::string> keys;
  for (const Job& j : plan)
    if (!j.is_baseline) keys.push_back(job_key(record_name(j.variant->id(), j.config), j.round));
  return keys;
}

json shard_meta(const Shard& s) { return {{"index", s.index}, {"count", s.count}}; }

json plan_meta(const std::vector<Job>& plan) {
  const auto keys = planned_keys(plan);
  uint64_t h = fnv1a64("");
  for (const auto& k : keys) h = fnv1a64(k + "\n", h);
  return {{"jobs", keys.size()}, {"fnv1a64", hex(h)}, {"keys", keys}};
}

MergeOutcome merge_shards(const std::vector<ResultsFile>& shards, const std::vector<std::string>& sources) {
  if (shards.empty()) throw UsageError("merge: no shard files given");
  // Shards in index order; the first is the reference every other must agree with.
  std::vector<size_t> order(shards.size());
  std::vector<int> index(shards.size());
  for (size_t f = 0; f < shards.size(); ++f) {
    const json& m = shards[f].meta;
    const json sh = m.value("shard", json());
    if (!sh.is_object() || !sh.value("index", json()).is_number_integer() ||
        !sh.value("count", json()).is_number_integer() || !m.value("plan", json()).is_object() ||
        !m["plan"].value("keys", json()).is_array())
      throw UsageError("merge: " + sources[f] + " is not a shard (no meta.shard and meta.plan: run with --shard I/N)");
    try {  // in range of int: a huge index would otherwise wrap onto another shard's
      index[f] = int(json_int(sh, "index", 0, std::numeric_limits<int>::max()));
      (void)json_int(sh, "count", 1, std::numeric_limits<int>::max());
    } catch (const JsonFieldError& e) {
      throw UsageError("merge: " + sources[f] + ": meta.shard " + e.what());
    }
    order[f] = f;
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return index[a] < index[b]; });
  const size_t ref = order.front();
  const json& rm = shards[ref].meta;
  const int count = int(json_int(rm["shard"], "count"));
  // What must be the same for the shards to be one sweep (the plan covers variants, strategy, budget and seed).
  const std::vector<std::pair<std::string, json::json_pointer>> same = {
      {"problem", json::json_pointer("/problem")},
      {"suite version", json::json_pointer("/suite_version")},
      {"git commit", json::json_pointer("/git_commit")},
      {"device model", json::json_pointer("/device/name")},
      {"NVRTC options", json::json_pointer("/nvrtc_extra_options")},
      {"timer settings", json::json_pointer("/timer")},
      {"checks per configuration", json::json_pointer("/checks_per_config")},
      {"repeat", json::json_pointer("/repeat")},
      {"baseline", json::json_pointer("/baseline")},
      {"shard count", json::json_pointer("/shard/count")},
      {"plan", json::json_pointer("/plan/fnv1a64")},
  };
  auto at = [](const json& m, const json::json_pointer& p) { return m.contains(p) ? m.at(p) : json(); };
  std::set<int> seen;
  for (size_t f : order) {
    const json& m = shards[f].meta;
    for (const auto& [what, ptr] : same)
      if (at(m, ptr) != at(rm, ptr))
        throw UsageError("merge: " + sources[f] + " belongs to another sweep than " + sources[ref] + ": " + what +
                         " " + at(m, ptr).dump() + " vs " + at(rm, ptr).dump());
    if (index[f] < 0 || index[f] >= count)
      throw UsageError("merge: " + sources[f] + ": shard index " + std::to_string(index[f]) + " outside 0.." +
                       std::to_string(count - 1));
    if (!seen.insert(index[f]).second)
      throw UsageError("merge: shard " + std::to_string(index[f]) + "/" + std::to_string(count) +
                       " given twice (" + sources[f] + ")");
  }

  MergeOutcome out;
  std::vector<std::string> plan;
  for (const json& k : rm["plan"]["keys"])
    if (k.is_string()) plan.push_back(k.get<std::string>());
  const std::set<std::string> planned(plan.begin(), plan.end());
  out.planned = plan.size();
  std::map<std::string, std::vector<int>> holders;  // key -> shard indices holding it
  json shard_list = json::array();
  for (size_t f : order) {
    json entry = shards[f].meta;
    entry.erase("plan");  // the same in every shard: kept once, in the merged meta
    entry["file"] = sources[f];
    entry["records"] = shards[f].records.size();
    json baseline_ms = json::array();
    for (const Record& r : shards[f].records) {
      if (is_baseline_record(r, shards[f].meta)) {
        baseline_ms.push_back(r.timing ? json(r.timing->median_ms) : json());
        if (f != ref) continue;  // one baseline (of the lowest shard) in the records; the others' medians here
      } else {
        const std::string key = record_key(r);
        auto& h = holders[key];
        h.push_back(index[f]);
        if (h.size() > 1) continue;  // keep the first (lowest shard index)
      }
      out.merged.records.push_back(r);
    }
    entry["baseline_median_ms"] = std::move(baseline_ms);
    shard_list.push_back(std::move(entry));
  }
  for (const auto& k : plan)
    if (!holders.count(k)) out.missing.push_back(k);
  for (const auto& [k, h] : holders) {
    if (h.size() > 1) {
      std::string where;
      for (int i : h) where += (where.empty() ? "" : ", ") + std::to_string(i);
      out.duplicated.push_back(k + " (shards " + where + ")");
    }
    if (!planned.count(k)) out.unplanned.push_back(k);
  }
  // Record ids are positions in the whole plan (the same in every shard): sorting by id restores plan order.
  std::stable_sort(out.merged.records.begin(), out.merged.records.end(),
                   [](const Record& a, const Record& b) { return a.id < b.id; });

  json meta = rm;
  meta.erase("shard");
  bool finished = true;
  json from = json::array();
  for (size_t f : order) {
    // value(key, json()): value(key, false) throws a json type error on a non-boolean (a hand-edited file).
    finished = finished && shards[f].meta.value("finished", json()) == true;
    from.push_back(sources[f]);
  }
  meta["finished"] = finished;
  meta["merged_from"] = std::move(from);
  meta["shards"] = std::move(shard_list);
  meta["merge"] = {{"complete", out.complete()},   {"shard_count", count},
                   {"shards_present", seen.size()}, {"missing", out.missing},
                   {"duplicated", out.duplicated},  {"not_in_plan", out.unplanned}};
  out.merged.meta = std::move(meta);
  return out;
}

int merge_command(const std::vector<std::string>& inputs, const std::string& out, std::ostream& log,
                  std::ostream& err) {
  if (out.empty()) throw UsageError("merge: -o OUT.json is required");
  std::vector<ResultsFile> files;
  for (const auto& in : inputs) {
    try {
      files.push_back(read_results(in));
    } catch (const UsageError& e) {
      throw UsageError(std::string("merge: ") + e.what());
    }
  }
  const MergeOutcome m = merge_shards(files, inputs);

  const json doc = {{"schema", kSchemaName},
                    {"schema_version", kSchemaVersion},
                    {"meta", m.merged.meta},
                    {"records", m.merged.records},
                    {"best", best_of(m.merged.records)}};
  const fs::path tmp = out + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp);
    if (f) f << doc.dump(1) << '\n';
    if (!f || !f.flush()) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw UsageError("merge: " + out + ": cannot write (" + std::strerror(errno) + ")");
    }
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);  // atomic: the old file or the new one, never half of one
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw UsageError("merge: " + out + ": cannot write (" + ec.message() + ")");
  }

  const json& mm = m.merged.meta.at("merge");
  for (const auto& k : m.missing) log << "missing: " << k << "\n";
  for (const auto& k : m.duplicated) log << "duplicated: " << k << "\n";
  for (const auto& k : m.unplanned) log << "not in the plan: " << k << "\n";
  log << "merged " << inputs.size() << " of " << mm["shard_count"].get<int64_t>() << " shards, "
      << m.merged.records.size() << " records, into " << out << "\n";
  if (m.complete()) return 0;
  err << "tuner merge: incomplete: " << m.missing.size() << " of " << m.planned
      << " planned configurations missing, " << m.duplicated.size() << " duplicated, " << m.unplanned.size()
      << " not in the plan; " << out << " holds the records there are\n";
  return 1;
}

}  // namespace convmish
