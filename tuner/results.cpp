#include "tuner/results.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <unistd.h>

#include "tuner/check.hpp"
#include "tuner/tolerance.hpp"
#include "tuner/json_read.hpp"

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
  s << (pass ? "pass" : "FAIL") << " [" << precision << "] rel_l2=" << rel_l2;
  if (n < kRelL2MinElements)
    s << " (not judged: " << n << " outputs)";
  else
    s << " (<= " << tol_rel_l2 << ")";
  s << " max_abs=" << max_abs << " over_tol=" << over_tol << " nonfinite=" << nonfinite
    << " unwritten=" << unwritten;
  if (first_bad >= 0) s << " first_bad=" << first_bad;
  return s.str();
}

std::string record_name(const std::string& variant, const Config& params) {
  const std::string c = config_string(params);
  return c.empty() ? variant : variant + "/" + c;
}

std::string Record::name() const { return record_name(variant, params); }

void to_json(json& j, const DeviceTag& d) {
  j = {{"index", d.index}, {"name", d.name}, {"uuid", d.uuid}, {"pci_bus_id", d.pci_bus_id}};
}

void from_json(const json& j, DeviceTag& d) {
  d.index = json_int32(j, "index");
  d.name = j.at("name").get<std::string>();
  d.uuid = j.value("uuid", "");
  d.pci_bus_id = j.value("pci_bus_id", "");
}

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
  v.n = json_int_or(j, "n", 0);
  v.over_tol = json_int_or(j, "over_tol", 0);
  v.nonfinite = json_int_or(j, "nonfinite", 0);
  v.unwritten = json_int_or(j, "unwritten", 0);
  v.ref_nonfinite = json_int_or(j, "ref_nonfinite", 0);
  v.first_bad = json_int_or(j, "first_bad", -1);
  v.checks = j.contains("checks") ? json_int32(j, "checks") : 0;
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
  if (r.device) j["device"] = *r.device;
}

namespace {
// The parts a record's details list (name, median_ms, optionally pct_of_copy): checked on reading, since the
// report and the progress line print them.
void check_parts(const json& details) {
  if (!details.contains("parts")) return;
  const json& parts = details.at("parts");
  if (!parts.is_array()) throw JsonFieldError("'details.parts' must be an array");
  for (const json& part : parts)
    if (!part.is_object() || !part.contains("name") || !part.at("name").is_string() ||
        !part.contains("median_ms") || !part.at("median_ms").is_number() ||
        (part.contains("pct_of_copy") && !part.at("pct_of_copy").is_number()))
      throw JsonFieldError("'details.parts' must hold objects with a string 'name' and a number 'median_ms'");
}
}  // namespace

void from_json(const json& j, Record& r) {
  r.id = json_int32(j, "id");
  r.variant = j.at("variant");
  const json& params = j.at("params");
  if (!params.is_object()) throw JsonFieldError("'params' must be an object, not " + json_describe(params));
  r.params.clear();
  for (const auto& [name, value] : params.items()) r.params[name] = json_int(params, name.c_str());
  r.precision = j.value("precision", "");
  try {
    r.status = status_from_string(j.at("status"));
  } catch (const std::invalid_argument& e) {
    throw JsonFieldError(std::string("'status': ") + e.what());
  }
  r.reason = j.value("reason", "");
  r.details = j.value("details", json::object());
  if (!r.details.is_object()) throw JsonFieldError("'details' must be an object, not " + json_describe(r.details));
  check_parts(r.details);
  if (r.details.contains("round")) json_int32(r.details, "round");  // --resume keys records by it
  if (j.contains("verdict") && !j["verdict"].is_null()) r.verdict = j["verdict"].get<Verdict>();
  if (j.contains("timing") && !j["timing"].is_null()) r.timing = j["timing"].get<TimingStats>();
  r.tflops = j.contains("tflops") && j["tflops"].is_number() ? j["tflops"].get<double>() : 0.0;
  r.gbps = j.contains("gbps") && j["gbps"].is_number() ? j["gbps"].get<double>() : 0.0;
  if (j.contains("speedup_vs_baseline") && j["speedup_vs_baseline"].is_number())
    r.speedup = j["speedup_vs_baseline"].get<double>();
  if (j.contains("device") && !j["device"].is_null()) r.device = j["device"].get<DeviceTag>();
}

json best_of(const std::vector<Record>& records) {
  std::map<std::string, const Record*> best;
  const Record* overall = nullptr;
  std::vector<std::string> models;
  for (const auto& r : records) {
    if (r.device && std::find(models.begin(), models.end(), r.device->name) == models.end())
      models.push_back(r.device->name);
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
  if (models.size() > 1) out["mixed_models"] = models;
  return out;
}

const Record* best_record(const std::vector<Record>& records, const json& entry) {
  const int id = entry.at("id").get<int>();
  const std::string name = entry.at("name").get<std::string>();
  for (const Record& r : records)
    if (r.status == Status::kOk && r.timing && r.id == id && r.name() == name) return &r;
  return nullptr;
}

std::string parts_note(const Record& r) {
  std::string s;
  if (!r.details.contains("parts")) return s;
  auto fmt = [](double v, int prec) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(prec) << v;
    return o.str();
  };
  for (const auto& part : r.details["parts"]) {
    s += "  " + part["name"].get<std::string>() + " " + fmt(part["median_ms"].get<double>(), 3) + " ms";
    if (part.contains("pct_of_copy")) s += " (" + fmt(part["pct_of_copy"].get<double>(), 1) + "% of copy)";
  }
  return s;
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

json parse_bounded(std::string_view text, const std::string& source) {
  const json::parser_callback_t limit = [&](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth)
      throw UsageError(source + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  };
  return json::parse(text.begin(), text.end(), limit);
}

// A regular file's size is checked before anything is read; a pipe (compare <(...) ...) is read up to the same limit.
std::string read_text(const fs::path& path, const char* what) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw UsageError(path.string() + ": cannot open (" + (ec ? ec.message() : std::strerror(ENOENT)) + ")");
  if (fs::is_directory(st)) throw UsageError(path.string() + ": a directory, not a " + what);
  auto too_large = [&](const std::string& size) {
    return UsageError(path.string() + ": " + size + ", larger than the " + std::to_string(kMaxResultsFileBytes >> 20) +
                      " MiB a " + what + " may have");
  };
  if (fs::is_regular_file(st)) {
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > kMaxResultsFileBytes) throw too_large(std::to_string(size >> 20) + " MiB");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::string text;
  char buf[1 << 16];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, size_t(f.gcount()));
    if (text.size() > kMaxResultsFileBytes) throw too_large("more than that");
  }
  if (f.bad()) throw UsageError(path.string() + ": read failed");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw UsageError(path.string() + ": empty file, not a convmish " + what);
  return text;
}

ResultsFile parse_journal(std::string_view text, const std::string& source) {
  ResultsFile out;
  size_t pos = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    const size_t end = std::min(text.find('\n', pos), text.size());
    *line = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  };
  std::string_view line;
  json header;
  try {
    if (next_line(&line)) header = parse_bounded(line, source);
  } catch (const std::exception&) {  // not JSON, too deep: not a journal
  }
  if (!header.is_object() || !header.contains("journal") || header.at("journal") != kSchemaName ||
      !header.contains("schema_version") || header.at("schema_version") != kSchemaVersion ||
      !header.contains("meta") || !header.at("meta").is_object())
    throw UsageError(source + ": not a convmish journal of schema version " + std::to_string(kSchemaVersion));
  out.meta = std::move(header.at("meta"));
  while (next_line(&line)) {
    try {
      out.records.push_back(parse_bounded(line, source).get<Record>());
    } catch (const std::exception&) {  // the line being written when the process died
    }
  }
  return out;
}

ResultsFile read_journal(const fs::path& path) { return parse_journal(read_text(path, "journal"), path.string()); }

ResultsFile parse_results(std::string_view text, const std::string& source) {
  json doc;
  try {
    doc = parse_bounded(text, source);
  } catch (const json::exception& e) {
    throw UsageError(source + ": not valid JSON (" + one_line(e.what(), 240) + ")");
  }
  if (!doc.is_object() || !doc.contains("schema") || doc.at("schema") != kSchemaName)
    throw UsageError(source + ": not a convmish results file (no \"schema\": \"" + kSchemaName + "\")");
  if (!doc.contains("schema_version") || doc.at("schema_version") != kSchemaVersion) {
    const json v = doc.value("schema_version", json());
    throw UsageError(source + ": schema version " + (v.is_number() ? v.dump() : json_describe(v)) +
                     ", this build reads version " + std::to_string(kSchemaVersion));
  }
  ResultsFile out;
  try {
    if (!doc.contains("meta") || !doc.at("meta").is_object()) throw JsonFieldError("'meta' must be an object");
    if (!doc.contains("records") || !doc.at("records").is_array())
      throw JsonFieldError("'records' must be an array");
    out.meta = std::move(doc.at("meta"));
    json& records = doc.at("records");
    out.records.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      try {
        out.records.push_back(records[i].get<Record>());
      } catch (const json::exception& e) {
        throw JsonFieldError("record " + std::to_string(i) + ": " + e.what());
      }
    }
  } catch (const json::exception& e) {
    throw UsageError(source + ": malformed (" + one_line(e.what(), 240) + ")");
  }
  return out;
}

ResultsFile read_results(const fs::path& path) {
  return parse_results(read_text(path, "results file"), path.string());
}

}  // namespace convmish
