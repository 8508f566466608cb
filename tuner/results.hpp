// Result records and the versioned JSON report (schema: results/README.md). One record per configuration
// tried, whatever happened to it; each is appended to a journal as it finishes, so a crash keeps all finished
// records.
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/gpu_ops.hpp"
#include "tuner/param_space.hpp"
#include "tuner/timer.hpp"

namespace convmish {

inline constexpr int kSchemaVersion = 1;
inline constexpr const char* kSchemaName = "convmish.results";

enum class Status { kOk, kIncorrect, kCompileError, kLaunchError, kUnsupported, kTimeout };
std::string to_string(Status s);
Status status_from_string(const std::string& s);  // throws std::invalid_argument

struct Verdict {
  bool pass = false;
  std::string precision;
  double rel_l2 = 0, max_abs = 0;
  int64_t n = 0, over_tol = 0, nonfinite = 0, unwritten = 0, ref_nonfinite = 0, first_bad = -1;
  double tol_rel_l2 = 0, tol_atol = 0, tol_rtol = 0;
  int checks = 0;  // independent fresh-input checks that all passed (or the one that failed)
  std::string summary() const;
};

// The GPU that ran a record, in sweeps over several GPUs (tuner --devices; tuner/devices.hpp).
struct DeviceTag {
  int index = 0;           // CUDA device index on its host
  std::string name;        // the model, e.g. "NVIDIA H100 80GB HBM3"
  std::string uuid, pci_bus_id;  // "" where unknown
};

struct Record {
  int id = 0;
  std::string variant;
  Config params;
  std::string precision;
  Status status = Status::kUnsupported;
  std::string reason;
  std::optional<Verdict> verdict;
  std::optional<TimingStats> timing;
  double tflops = 0, gbps = 0;
  std::optional<double> speedup;     // baseline median / this median
  nlohmann::json details = nlohmann::json::object();  // resources, algorithm, compile info
  std::optional<DeviceTag> device;   // set by sweeps over several GPUs (--devices) only
  std::string name() const;          // "variant/param:value/..." (the NVTX range name too)
};

// "variant/param:value/..." (just the variant for an empty configuration).
std::string record_name(const std::string& variant, const Config& params);

void to_json(nlohmann::json& j, const DeviceTag& d);
void from_json(const nlohmann::json& j, DeviceTag& d);  // extra keys ignored: a worker's device JSON reads too
void to_json(nlohmann::json& j, const Verdict& v);
void from_json(const nlohmann::json& j, Verdict& v);
void to_json(nlohmann::json& j, const Record& r);
void from_json(const nlohmann::json& j, Record& r);

// The "best" block: fastest ok record per variant and overall, by median; when the records come from several GPU
// models (--devices), "mixed_models" lists them: the ranking then compares times of different GPUs.
nlohmann::json best_of(const std::vector<Record>& records);

// The record that a best_of entry ({"id", "name", ...}) names: the first timed ok record with that id and name, as
// best_of ranks only those (a damaged or merged file can hold an untimed one under the same id and name); null if
// none. An entry without an integer id or a string name throws json::exception.
const Record* best_record(const std::vector<Record>& records, const nlohmann::json& entry);

// "  conv 4.2 ms  mish 1.4 ms (98.0% of copy)" for records whose parts were timed, else "".
std::string parts_note(const Record& r);

struct ResultsFile {
  nlohmann::json meta;  // an object
  std::vector<Record> records;
};

// Limits of the readers (README, "Bad input"): a file larger than this is refused before it is read (its
// parsed form needs several times as much memory; the largest real file, 104 configurations with every raw
// sample, is 3.4 MB) ...
inline constexpr uintmax_t kMaxResultsFileBytes = uintmax_t(256) << 20;
// ... and so is JSON nested deeper than this (the schema needs 5 levels; copying and printing JSON recurses).
inline constexpr int kMaxJsonDepth = 64;

// JSON of at most kMaxJsonDepth levels; throws json::parse_error (or out_of_range for a number beyond double) on
// bad text, UsageError when it nests too deeply. The readers of results files, journals and ncu metrics use it.
nlohmann::json parse_bounded(std::string_view text, const std::string& source);
// The whole file, with the checks every reader shares: UsageError when it is missing, a directory, empty, or larger
// than kMaxResultsFileBytes; `what` ("results file") names the kind of file in the messages.
std::string read_text(const std::filesystem::path& path, const char* what);

// Parses the text of a results file; `source` names it in the messages. Throws UsageError with the reason (not
// JSON, nested too deeply, wrong schema or version, missing or mistyped fields, an invalid problem), and nothing
// else for any input.
ResultsFile parse_results(std::string_view text, const std::string& source);
// Reads and parses a results file: also UsageError when it is missing, not a regular file, empty, or larger
// than kMaxResultsFileBytes.
ResultsFile read_results(const std::filesystem::path& path);

// Writes a results file and its journal. Every record is appended to the journal ("<path>.journal", JSON Lines:
// a header line with the metadata, then one record a line) and flushed to disk as it is added, so a crash or
// kill -9 loses at most the configuration in flight. The JSON document is rewritten atomically at most once per
// `rewrite_interval_s` while records come in (rewriting it after every record made long sweeps quadratic), on
// every set_meta, on flush() and on destruction.
class ResultsWriter {
 public:
  // `meta` is the metadata object; an empty path writes nothing.
  ResultsWriter(std::filesystem::path path, nlohmann::json meta, double rewrite_interval_s = 1.0);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  void add(const Record& r);
  void set_meta(const std::string& key, nlohmann::json value);
  void flush();  // rewrite the JSON document now
  const std::vector<Record>& records() const { return records_; }
  nlohmann::json document() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  void write();
  std::filesystem::path path_;
  nlohmann::json meta_;
  std::vector<Record> records_;
  std::FILE* journal_ = nullptr;
  double interval_s_;
  double last_write_s_ = 0;
};

std::filesystem::path journal_path(const std::filesystem::path& results_path);
// Parses a journal; a truncated or garbled line (a process killed while writing it) is skipped. Throws UsageError
// when its header is not a convmish journal of this schema version, and nothing else for any input.
ResultsFile parse_journal(std::string_view text, const std::string& source);
// Reads and parses a journal: also UsageError when it is missing or larger than kMaxResultsFileBytes.
ResultsFile read_journal(const std::filesystem::path& path);



}  // namespace convmish
