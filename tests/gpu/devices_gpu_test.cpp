// tuner --devices on a GPU (issue #11): `--devices 0` sweeps like a plain run (the same records with the same
// statuses, each naming GPU 0, which meta.devices describes), and an index beyond the GPUs present is a usage
// error (exit 2) before anything is written; where NVML is present, every timing has the board's power. Cheap:
// `small`, two variants, two configurations each.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "gpu/gpu_fixture.hpp"
#include "tuner/device.hpp"
#include "tuner/results.hpp"
#include "tuner/sweep.hpp"
#include "tuner/timer.hpp"

using namespace convmish;
namespace fs = std::filesystem;

namespace {

// Runs the tuner on `small` with `extra` options into DIR/NAME.json; returns its exit code, stdout and stderr.
std::pair<int, std::string> tuner(const fs::path& dir, const std::string& name, const std::string& extra) {
  const fs::path json = dir / (name + ".json"), log = dir / (name + ".log");
  const std::string cmd = std::string("'") + CONVMISH_TUNER + "' -p small -v mish.float4,fused.naive -b 2 " +
                          "--min-time 0.5 --max-time 0.6 --warmup-ms 1 --timeout 60 " + extra + " -o '" +
                          json.string() + "'";
  return convmish::testing::run_logged(cmd, log);
}

// name#round -> (id, status)
std::map<std::string, std::pair<int, Status>> outcomes(const ResultsFile& f) {
  std::map<std::string, std::pair<int, Status>> m;
  for (const Record& r : f.records) m[job_key(r.name(), r.details.value("round", 0))] = {r.id, r.status};
  return m;
}

class DevicesGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("convmish_devices_gpu_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

}  // namespace

TEST_F(DevicesGpu, DevicesZeroGivesTheRecordsOfAPlainSweep) {
  REQUIRE_GPU();
  const auto [plain_exit, plain_log] = tuner(dir_, "plain", "");
  ASSERT_EQ(plain_exit, 0) << plain_log;
  const auto [dev_exit, dev_log] = tuner(dir_, "dev0", "--devices 0");
  ASSERT_EQ(dev_exit, 0) << dev_log;
  const ResultsFile plain = read_results(dir_ / "plain.json"), dev0 = read_results(dir_ / "dev0.json");

  EXPECT_EQ(outcomes(dev0), outcomes(plain)) << plain_log << dev_log;
  EXPECT_EQ(plain.records.size(), 5u);  // the baseline and two configurations of each variant
  for (const Record& r : plain.records) EXPECT_FALSE(r.device) << r.name();
  // Where NVML reads the SM clock it reads the board's energy too: every timing (0.5 s or more, kMinPowerWindowS)
  // has its mean power and energy per sample, and the clocks' events, by name (an empty list when nothing held them
  // down).
  const DeviceInfo dev = probe_device(0);
  if (sm_clock_mhz(dev)) {
    const auto limit = power_limit_w(dev);
    ASSERT_TRUE(limit);
    EXPECT_EQ(plain.meta["device"]["power_limit_w"], *limit);
    for (const Record& r : plain.records) {
      if (r.status != Status::kOk) continue;
      ASSERT_GE(r.timing->total_s, kMinPowerWindowS) << r.name();
      ASSERT_TRUE(r.timing->power_w && r.timing->energy_mj_per_sample && r.timing->clock_events) << r.name();
      EXPECT_GT(*r.timing->power_w, 10) << r.name();  // an idle H100 draws ~70 W
      EXPECT_LT(*r.timing->power_w, 2 * *limit) << r.name();
      const auto known = clock_event_names(0x1ff);
      for (const std::string& e : *r.timing->clock_events)
        EXPECT_NE(std::find(known.begin(), known.end(), e), known.end()) << r.name() << ": " << e;
    }
  }
  for (const Record& r : dev0.records) {
    ASSERT_TRUE(r.device) << r.name();
    EXPECT_EQ(r.device->index, 0);
    EXPECT_EQ(r.device->name, dev0.meta["device"]["name"].get<std::string>());
    EXPECT_EQ(r.device->uuid, dev0.meta["device"]["uuid"].get<std::string>());
    if (r.status == Status::kOk) EXPECT_TRUE(r.speedup) << r.name();  // against GPU 0's own baseline
  }
  ASSERT_EQ(dev0.meta["devices"].size(), 1u);
  EXPECT_EQ(dev0.meta["devices"][0]["device"]["uuid"], plain.meta["device"]["uuid"]);
  EXPECT_EQ(dev0.meta["devices"][0]["records"].get<int>(), 5);
  EXPECT_EQ(dev0.meta["devices"][0]["baseline_median_ms"].size(), 1u);
  EXPECT_FALSE(plain.meta.contains("devices"));
}

TEST_F(DevicesGpu, AnIndexBeyondTheGpusPresentIsAUsageErrorBeforeAnythingIsWritten) {
  REQUIRE_GPU();
  const int n = gpu_count();
  const auto [exit_code, log] = tuner(dir_, "beyond", "--devices 0," + std::to_string(n));
  EXPECT_EQ(exit_code, 2) << log;
  EXPECT_NE(log.find("--devices: there is no GPU " + std::to_string(n) + " on this host"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(journal_path(dir_ / "beyond.json")));
}

// --device as --devices: a GPU that is not there is a usage error (exit 2) naming the option, not "no GPU" (exit 3).
TEST_F(DevicesGpu, ADeviceIndexBeyondTheGpusPresentIsAUsageError) {
  REQUIRE_GPU();
  const int n = gpu_count();
  const auto [exit_code, log] = tuner(dir_, "device_beyond", "--device " + std::to_string(n));
  EXPECT_EQ(exit_code, 2) << log;
  EXPECT_NE(log.find("--device: there is no GPU " + std::to_string(n) + " on this host"), std::string::npos) << log;
}
