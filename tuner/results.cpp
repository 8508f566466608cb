#include "tuner/results.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "tuner/check.hpp"

namespace convmish {

namespace fs = std::filesystem;
using nlohmann::json;

std::string to_string(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kIncorrect: return "incorrect";
    case Status::kCompileError: return "compile_error";
    case Status::kLaunchError: return "launch_error";
    case Status::kUnsupported: return "unsupported";
    case Status::kTimeout: return "timeout";
  }
  return "unknown";
}

Status status_from_string(const std::string& s) {
  for (Status st : {Status::kOk, Status::kIncorrect, Status::kCompileError, Status::kLaunchError,
                    Status::kUnsupported, Status::kTimeout})
    if (to_string(st) == s) return st;
  throw std::invalid_argument("unknown status '" + s + "'");
}

std::string Verdict::summary() const {
  std::ostringstream s;
  s.precision(3);
  s << (pass ? "pass" : "FAIL") << " [" << precision << "] rel_l2=" << rel_l2 << " (<= " << tol_rel_l2
    << ") max_abs=" << max_abs << " over_tol=" << over_tol << " nonfinite=" << nonfinite
    << " unwritten=" << unwritten;
  if (first_bad >= 0) s << " first_bad=" << first_bad;
  return s.str();
}

std::string record_name(const std::string& variant, const Config& params) {
  const std::string c = config_string(params);
  return c.empty() ? variant : variant + "/" + c;
}

std::string Record::name() const { return record_name(variant, params); }

void to_json(json& j, const Verdict& v) {
  j = {{"pass", v.pass},           {"precision", v.precision}, {"rel_l2", v.rel_l2},
       {"max_abs", v.max_abs},     {"n", v.n},                 {"over_tol", v.over_tol},
       {"nonfinite", v.nonfinite}, {"unwritten", v.unwritten}, {"ref_nonfinite", v.ref_nonfinite},
       {"first_bad", v.first_bad}, {"checks", v.checks},
       {"tolerance", {{"rel_l2", v.tol_rel_l2}, {"atol", v.tol_atol}, {"rtol", v.tol_rtol}}}};
}

void from_json(const json& j, Verdict& v) {
  v.pass = j.at("pass");
  v.precision = j.at("precision");
  v.rel_l2 = j.at("rel_l2").is_null() ? INFINITY : j.at("rel_l2").get<double>();
  v.max_abs = !j.contains("max_abs") ? 0.0 : j["max_abs"].is_null() ? INFINITY : j["max_abs"].get<double>();
  v.n = j.value("n", int64_t(0));
  v.over_tol = j.value("over_tol", int64_t(0));
  v.nonfinite = j.value("nonfinite", int64_t(0));
  v.unwritten = j.value("unwritten", int64_t(0));
  v.ref_nonfinite = j.value("ref_nonfinite", int64_t(0));
  v.first_bad = j.value("first_bad", int64_t(-1));
  v.checks = j.value("checks", 0);
  const json& t = j.at("tolerance");
  v.tol_rel_l2 = t.at("rel_l2");
  v.tol_atol = t.at("atol");
  v.tol_rtol = t.at("rtol");
}

static json nan_to_null(double v) { return std::isfinite(v) ? json(v) : json(); }

void to_json(json& j, const Record& r) {
  j = {{"id", r.id},         {"name", r.name()},         {"variant", r.variant}, {"params", r.params},
       {"precision", r.precision}, {"status", to_string(r.status)}, {"reason", r.reason},
       {"details", r.details}};
  j["verdict"] = r.verdict ? json(*r.verdict) : json();
  if (r.verdict) j["verdict"]["rel_l2"] = nan_to_null(r.verdict->rel_l2);
  j["timing"] = r.timing ? json(*r.timing) : json();
  j["tflops"] = r.timing ? json(r.tflops) : json();
  j["gbps"] = r.timing ? json(r.gbps) : json();
  j["speedup_vs_baseline"] = r.speedup ? json(*r.speedup) : json();
}

void from_json(const json& j, Record& r) {
  r.id = j.at("id");
  r.variant = j.at("variant");
  r.params = j.at("params").get<Config>();
  r.precision = j.value("precision", "");
  r.status = status_from_string(j.at("status"));
  r.reason = j.value("reason", "");
  r.details = j.value("details", json::object());
  if (j.contains("verdict") && !j["verdict"].is_null()) r.verdict = j["verdict"].get<Verdict>();
  if (j.contains("timing") && !j["timing"].is_null()) r.timing = j["timing"].get<TimingStats>();
  r.tflops = j.contains("tflops") && j["tflops"].is_number() ? j["tflops"].get<double>() : 0.0;
  r.gbps = j.contains("gbps") && j["gbps"].is_number() ? j["gbps"].get<double>() : 0.0;
  if (j.contains("speedup_vs_baseline") && j["speedup_vs_baseline"].is_number())
    r.speedup = j["speedup_vs_baseline"].get<double>();
}

json best_of(const std::vector<Record>& records) {
  std::map<std::string, const Record*> best;
  const Record* overall = nullptr;
  for (const auto& r : records) {
    if (r.status != Status::kOk || !r.timing) continue;
    auto& b = best[r.variant];
    if (!b || r.timing->median_ms < b->timing->median_ms) b = &r;
    if (!overall || r.timing->median_ms < overall->timing->median_ms) overall = &r;
  }
  json per = json::object();
  for (const auto& [v, r] : best)
    per[v] = {{"id", r->id}, {"name", r->name()}, {"median_ms", r->timing->median_ms}, {"precision", r->precision}};
  json out = {{"per_variant", per}};
  out["overall"] = overall ? json{{"id", overall->id}, {"name", overall->name()},
                                  {"median_ms", overall->timing->median_ms}, {"precision", overall->precision}}
                           : json();
  return out;
}

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void append_line(std::FILE* f, const json& j) {
  const std::string line = j.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fflush(f) != 0 || ::fsync(fileno(f)) != 0)
    throw UsageError("cannot append to the journal: " + std::string(std::strerror(errno)));
}
}  // namespace

fs::path journal_path(const fs::path& results_path) { return results_path.string() + ".journal"; }

ResultsWriter::ResultsWriter(fs::path path, json meta, double rewrite_interval_s)
    : path_(std::move(path)), meta_(std::move(meta)), interval_s_(rewrite_interval_s) {
  if (path_.empty()) return;
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
  journal_ = std::fopen(journal_path(path_).c_str(), "w");
  if (!journal_) throw UsageError("cannot write " + journal_path(path_).string() + ": " + std::strerror(errno));
  append_line(journal_, {{"journal", kSchemaName}, {"schema_version", kSchemaVersion}, {"meta", meta_}});
  write();
}

ResultsWriter::~ResultsWriter() {
  try {
    write();
  } catch (...) {  // a destructor must not throw; the journal holds every record anyway
  }
  if (journal_) std::fclose(journal_);
}

void ResultsWriter::add(const Record& r) {
  records_.push_back(r);
  if (journal_) append_line(journal_, json(r));
  if (now_s() - last_write_s_ >= interval_s_) write();
}

void ResultsWriter::set_meta(const std::string& key, json value) {
  meta_[key] = std::move(value);
  write();
}

void ResultsWriter::flush() { write(); }

json ResultsWriter::document() const {
  return {{"schema", kSchemaName}, {"schema_version", kSchemaVersion}, {"meta", meta_},
          {"records", records_},   {"best", best_of(records_)}};
}

void ResultsWriter::write() {
  if (path_.empty()) return;
  last_write_s_ = now_s();
  const fs::path tmp = path_.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp);
    if (!f) throw UsageError("cannot write " + tmp.string());
    f << document().dump(1) << '\n';
    if (!f) throw UsageError("failed writing " + tmp.string());
  }
  fs::rename(tmp, path_);  // atomic: readers see the old or the new file, never half of one
}

ResultsFile read_journal(const fs::path& path) {
  std::ifstream f(path);
  if (!f) throw UsageError(path.string() + ": cannot open");
  std::string line;
  ResultsFile out;
  json header;
  if (!std::getline(f, line) || !json::accept(line) || !(header = json::parse(line)).is_object() ||
      header.value("journal", "") != kSchemaName || header.value("schema_version", -1) != kSchemaVersion ||
      !header.contains("meta"))
    throw UsageError(path.string() + ": not a convmish journal of schema version " + std::to_string(kSchemaVersion));
  out.meta = header.at("meta");
  while (std::getline(f, line)) {
    if (!json::accept(line)) continue;  // the line being written when the process died
    try {
      out.records.push_back(json::parse(line).get<Record>());
    } catch (const std::exception&) {
    }
  }
  return out;
}

ResultsFile read_results(const fs::path& path) {
  std::ifstream f(path);
  if (!f) throw UsageError(path.string() + ": cannot open");
  json doc;
  try {
    doc = json::parse(f);
  } catch (const json::parse_error& e) {
    throw UsageError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || doc.value("schema", "") != kSchemaName)
    throw UsageError(path.string() + ": not a convmish results file (no \"schema\": \"" + kSchemaName + "\")");
  if (doc.value("schema_version", -1) != kSchemaVersion)
    throw UsageError(path.string() + ": schema version " + doc.value("schema_version", json(-1)).dump() +
                     ", this build reads version " + std::to_string(kSchemaVersion));
  ResultsFile out;
  try {
    out.meta = doc.at("meta");
    out.records = doc.at("records").get<std::vector<Record>>();
  } catch (const std::exception& e) {
    throw UsageError(path.string() + ": malformed record (" + e.what() + ")");
  }
  return out;
}

}  // namespace convmish
