// tuner --devices (issue #11): the list and its resolution against the GPUs present, the order in which the GPUs'
// lanes take a plan's jobs, and the record's device in the JSON. The sweep over fake GPUs is in
// isolated_sweep_test.cpp, the refusals of the binary in tests/cli, `--devices 0` on a real GPU in tests/gpu.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tuner/check.hpp"
#include "tuner/device.hpp"
#include "tuner/devices.hpp"
#include "tuner/results.hpp"
#include "tuner/sweep.hpp"

using namespace convmish;
using nlohmann::json;

namespace {

std::string refusal(const std::string& spec) {
  try {
    parse_devices(spec);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "accepted";
}

// is_baseline of a real plan: every registered variant, a few configurations each, three rounds.
std::vector<bool> plan_shape() {
  SweepOptions o;
  o.budget = 3;
  o.repeat = 3;
  std::vector<bool> b;
  for (const Job& j : plan_jobs(o)) b.push_back(j.is_baseline);
  return b;
}

}  // namespace

TEST(Devices, ParseAcceptsAllAndDistinctIndicesInTheOrderGiven) {
  EXPECT_TRUE(parse_devices("all").all);
  EXPECT_EQ(parse_devices("0").indices, std::vector<int>{0});
  EXPECT_EQ(parse_devices("3,1").indices, (std::vector<int>{3, 1}));
  EXPECT_FALSE(parse_devices("0,1").all);
  for (const char* bad : {"", ",", "0,", ",0", "a", "-1", "1.5", "+1", " 1", "1e3", "0;1", "ALL", "all,0",
                          "99999999999"})
    EXPECT_NE(refusal(bad).find("is not a GPU index; expected 'all' or GPU indices such as 0,1"), std::string::npos)
        << "'" << bad << "': " << refusal(bad);
  EXPECT_EQ(refusal("0,1,0"), "--devices '0,1,0': GPU 0 is listed twice; expected 'all' or GPU indices such as 0,1");
}

TEST(Devices, ResolveGivesEveryGpuForAllAndRefusesIndicesBeyondThosePresent) {
  EXPECT_EQ(resolve_devices(parse_devices("all"), 3, ""), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(resolve_devices(parse_devices("1,0"), 2, ""), (std::vector<int>{1, 0}));
  try {
    resolve_devices(parse_devices("0,7"), 1, "");
    ADD_FAILURE() << "GPU 7 of 1 accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--devices: there is no GPU 7 on this host: 1 GPU is present (0..0)");
  }
  try {  // no GPU at all is exit 3 as for a plain sweep, whatever the list
    resolve_devices(parse_devices("7"), 0, "the driver reports no CUDA device");
    ADD_FAILURE() << "resolved without a GPU";
  } catch (const NoGpuError& e) {
    EXPECT_STREQ(e.what(), "no usable GPU: the driver reports no CUDA device");
  }
}

// --device names one GPU as --devices lists several: an index beyond those present is the same usage error (exit 2),
// naming its option; no GPU at all stays "no usable GPU" (exit 3).
TEST(Devices, DeviceIndexBeyondThosePresentIsAUsageErrorNamingItsOption) {
  EXPECT_NO_THROW(require_gpu_index("--device", 0, 1, ""));
  EXPECT_NO_THROW(require_gpu_index("--device", 3, 4, ""));
  const auto usage = [](int index, int count) -> std::string {
    try {
      require_gpu_index("--device", index, count, "");
    } catch (const UsageError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(usage(7, 1), "--device: there is no GPU 7 on this host: 1 GPU is present (0..0)");
  EXPECT_EQ(usage(2, 2), "--device: there is no GPU 2 on this host: 2 GPUs are present (0..1)");
  EXPECT_EQ(usage(-1, 2), "--device: there is no GPU -1 on this host: 2 GPUs are present (0..1)");
  try {
    require_gpu_index("--device", 0, 0, "the driver reports no CUDA device");
    ADD_FAILURE() << "GPU 0 of none accepted";
  } catch (const NoGpuError& e) {
    EXPECT_STREQ(e.what(), "no usable GPU: the driver reports no CUDA device");
  }
}

// NVML's clocks-event mask (nvmlClocksEventReason*) by name, in bit order; bits it does not know in one entry.
TEST(Devices, ClockEventNamesDecodeNvmlsMask) {
  EXPECT_TRUE(clock_event_names(0).empty());
  EXPECT_EQ(clock_event_names(0x4), std::vector<std::string>{"sw_power_cap"});
  EXPECT_EQ(clock_event_names(0x1 | 0x4 | 0x40),
            (std::vector<std::string>{"gpu_idle", "sw_power_cap", "hw_thermal"}));
  EXPECT_EQ(clock_event_names(0x1ff).size(), 9u);
  EXPECT_EQ(clock_event_names(0x8 | 0x3000), (std::vector<std::string>{"hw_slowdown", "other:0x3000"}));
}

// A device NVML cannot find (or no NVML at all, as on a machine without a driver): no reading, no error.
TEST(Devices, NvmlReadingsOfAnUnknownDeviceAreAbsent) {
  DeviceInfo d;
  d.pci_bus_id = "0000:FF:1F.7";
  EXPECT_FALSE(sm_clock_mhz(d));
  EXPECT_FALSE(energy_mj(d));
  EXPECT_FALSE(clock_event_reasons(d));
  EXPECT_FALSE(power_limit_w(d));
  d.pci_bus_id.clear();
  EXPECT_FALSE(energy_mj(d));
  EXPECT_TRUE(nlohmann::json(d).at("power_limit_w").is_null());
}

TEST(JobDispenser, OneLaneGetsThePlanInPlanOrder) {
  const std::vector<bool> shape = plan_shape();
  JobDispenser d(shape, 1);
  for (size_t i = 0; i < shape.size(); ++i) {
    ASSERT_EQ(d.next(0), i);
    std::vector<size_t> ahead;
    for (size_t j = i + 1; j < shape.size() && j <= i + 5; ++j) ahead.push_back(j);
    EXPECT_EQ(d.upcoming(0, i, 5), ahead) << "the window after job " << i;
  }
  EXPECT_FALSE(d.next(0));
}

// Any interleaving of 2..4 lanes: each lane goes through the plan in order and gets every baseline (so it has run
// a round's baseline before its first job of that round), each other job goes to exactly one lane, in plan order,
// and upcoming() is what a lane may still get.
TEST(JobDispenser, EveryLaneGetsEveryBaselineAndEachOtherJobGoesToOneLane) {
  const std::vector<bool> shape = plan_shape();
  std::vector<size_t> baselines;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i]) baselines.push_back(i);
  ASSERT_EQ(baselines.size(), 3u);
  std::mt19937 rng(11);
  for (size_t lanes = 2; lanes <= 4; ++lanes)
    for (int trial = 0; trial < 50; ++trial) {
      JobDispenser d(shape, lanes);
      std::vector<std::vector<size_t>> got(lanes);
      std::vector<size_t> shared;
      std::set<size_t> done;  // lanes with nothing left
      while (done.size() < lanes) {
        const size_t k = rng() % lanes;
        if (done.count(k)) continue;
        const size_t after = got[k].empty() ? 0 : got[k].back();
        std::vector<size_t> may_get;
        for (size_t j = after + 1; j < shape.size() && j <= after + 6; ++j) {
          const bool taken = shape[j] ? std::count(got[k].begin(), got[k].end(), j) > 0
                                      : std::count(shared.begin(), shared.end(), j) > 0;
          if (!taken) may_get.push_back(j);
        }
        if (!got[k].empty()) ASSERT_EQ(d.upcoming(k, after, 6), may_get) << "lane " << k << " after " << after;
        const auto next = d.next(k);
        if (!next) {
          done.insert(k);
          continue;
        }
        got[k].push_back(*next);
        if (!shape[*next]) shared.push_back(*next);
      }
      ASSERT_TRUE(std::is_sorted(shared.begin(), shared.end()));
      std::multiset<size_t> all(shared.begin(), shared.end());
      ASSERT_EQ(all.size(), shape.size() - baselines.size());
      ASSERT_EQ(std::set<size_t>(shared.begin(), shared.end()).size(), all.size()) << "a job handed out twice";
      for (size_t k = 0; k < lanes; ++k) {
        ASSERT_TRUE(std::is_sorted(got[k].begin(), got[k].end())) << "lane " << k;
        std::vector<size_t> own;
        for (size_t i : got[k])
          if (shape[i]) own.push_back(i);
        ASSERT_EQ(own, baselines) << "lane " << k;
      }
    }
}

TEST(Devices, ModelsComeFromMetaDevicesElseMetaDevice) {
  EXPECT_EQ(device_models({{"device", {{"name", "H100"}}}}), std::set<std::string>{"H100"});
  const json meta = {{"device", {{"name", "H100"}}},
                     {"devices", {{{"device", {{"name", "H100"}}}}, {{"device", {{"name", "A100"}}}}}}};
  EXPECT_EQ(device_models(meta), (std::set<std::string>{"A100", "H100"}));
  EXPECT_THROW(device_models(json::object()), json::exception);
  EXPECT_THROW(device_models({{"devices", {1}}}), json::exception);
}

// A record's device: written only when set (a sweep without --devices writes what it always did), read back,
// and refused with the reason when malformed.
TEST(Devices, RecordDeviceRoundTripsAndIsAbsentWithoutDevices) {
  Record r;
  r.variant = "fused.naive";
  r.params = {{"block", 128}};
  EXPECT_FALSE(json(r).contains("device"));
  r.device = DeviceTag{1, "NVIDIA H100 80GB HBM3", "0123abcd", "00000000:19:00.0"};
  const json j = r;
  EXPECT_EQ(j["device"], (json{{"index", 1}, {"name", "NVIDIA H100 80GB HBM3"}, {"uuid", "0123abcd"},
                               {"pci_bus_id", "00000000:19:00.0"}}));
  const Record back = j.get<Record>();
  ASSERT_TRUE(back.device);
  EXPECT_EQ(back.device->index, 1);
  EXPECT_EQ(back.device->pci_bus_id, "00000000:19:00.0");
  json bad = j;
  bad["device"]["index"] = 1.5;
  EXPECT_THROW(bad.get<Record>(), json::exception);
  bad["device"] = "gpu 1";
  EXPECT_THROW(bad.get<Record>(), json::exception);
}

TEST(Devices, BestSaysSoWhenItRanksSeveralGpuModels) {
  auto ok = [](int id, const char* model, double ms) {
    Record r;
    r.id = id;
    r.variant = "fused.naive";
    r.params = {{"block", 32 * (id + 1)}};
    r.status = Status::kOk;
    r.timing = TimingStats{};
    r.timing->median_ms = ms;
    if (*model) r.device = DeviceTag{id, model, "", ""};
    return r;
  };
  EXPECT_FALSE(best_of({ok(0, "", 1), ok(1, "", 2)}).contains("mixed_models"));
  EXPECT_FALSE(best_of({ok(0, "H100", 1), ok(1, "H100", 2)}).contains("mixed_models"));
  EXPECT_EQ(best_of({ok(0, "H100", 1), ok(1, "A100", 2)})["mixed_models"], (json{"H100", "A100"}));
}
