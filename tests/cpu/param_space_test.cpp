#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "tuner/check.hpp"
#include "tuner/param_space.hpp"
#include "tuner/problem.hpp"
#include "tuner/sweep.hpp"
#include "tuner/variant.hpp"

using namespace convmish;

namespace {
ParamSpace space() {
  ParamSpace s;
  s.add("tile", {8, 16, 32}).add("threads", {64, 128, 256});
  s.require("tile * 8 >= threads", [](const Config& c) { return c.at("tile") * 8 >= c.at("threads"); });
  return s;
}
}  // namespace

TEST(ParamSpace, EnumerateKeepsOnlyConfigurationsThatSatisfyConstraints) {
  const auto all = space().enumerate();
  EXPECT_EQ(space().cartesian_size(), 9u);
  // tile 8: 64; tile 16: 64, 128; tile 32: 64, 128, 256
  EXPECT_EQ(all.size(), 6u);
  for (const auto& c : all) EXPECT_GE(c.at("tile") * 8, c.at("threads"));
}

// enumerate(limit): the first `limit` valid configurations of enumerate(), in its order (the exhaustive plan's budget).
TEST(ParamSpace, EnumerateWithALimitIsThePrefixOfTheWholeWalk) {
  const auto all = space().enumerate();
  for (size_t n : {0u, 1u, 4u, 6u, 100u}) {
    const auto first = space().enumerate(n);
    ASSERT_EQ(first.size(), std::min(n, all.size())) << n;
    for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], all[i]) << n << " " << i;
  }
}

TEST(ParamSpace, ViolationNamesTheConstraint) {
  const auto why = space().violation({{"tile", 8}, {"threads", 256}});
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("tile * 8 >= threads"), std::string::npos);
  EXPECT_TRUE(space().violation({{"tile", 8}}));                                 // missing parameter
  EXPECT_TRUE(space().violation({{"tile", 7}, {"threads", 64}}));                // value not in the list
  EXPECT_TRUE(space().violation({{"tile", 8}, {"threads", 64}, {"extra", 1}}));  // unknown parameter
  EXPECT_FALSE(space().violation({{"tile", 8}, {"threads", 64}}));
}

TEST(ParamSpace, DefaultIsTheFirstValidConfiguration) {
  EXPECT_EQ(space().default_config(), (Config{{"tile", 8}, {"threads", 64}}));
}

TEST(ParamSpace, SampleDrawsDistinctValidConfigurations) {
  std::mt19937_64 rng(1);
  const auto s = space().sample(4, rng);
  EXPECT_EQ(s.size(), 4u);
  std::set<std::string> seen;
  for (const auto& c : s) {
    EXPECT_FALSE(space().violation(c));
    seen.insert(config_string(c));
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(s.front(), space().default_config());
  std::mt19937_64 rng2(1);
  EXPECT_EQ(space().sample(100, rng2).size(), 6u);  // never more than exist
}

// With `same` (a variant's runs_as on one problem), configurations that map onto one already taken are left out and
// counted; a draw takes the next distinct one instead, so the sample keeps its size while distinct ones remain.
TEST(ParamSpace, SameLeavesOutConfigurationsThatRunAsOneAlreadyTaken) {
  // threads above 64 fall back to 64 on this imaginary problem: three distinct ways to run (tiles 8, 16, 32)
  const std::function<Config(const Config&)> same = [](const Config& c) {
    Config r = c;
    r["threads"] = 64;
    return r;
  };
  size_t left_out = 0;
  const auto all = space().enumerate(100, same, &left_out);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(left_out, 3u);
  std::set<int64_t> tiles;
  for (const auto& c : all) tiles.insert(c.at("tile"));
  EXPECT_EQ(tiles, (std::set<int64_t>{8, 16, 32}));
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    left_out = 0;
    const auto s = space().sample(3, rng, same, &left_out);
    ASSERT_EQ(s.size(), 3u) << seed;
    EXPECT_EQ(s.front(), space().default_config());
    std::set<int64_t> drawn;
    for (const auto& c : s) drawn.insert(c.at("tile"));
    EXPECT_EQ(drawn.size(), 3u) << seed << ": two draws that run alike";
  }
  EXPECT_EQ(space().enumerate(100, {}, &left_out).size(), 6u);  // without `same`, all of them
}

// The sweep's plan on a problem: drawn wgmma_rs configurations are planned as they run there, so on the seed (Q 254,
// no TMA stores) none has tstore:1 and no two run alike, while on its padded twin (Q 256) tstore:1 is drawn too;
// where two would run alike only the first is planned, and a note says how many were left out. Explicit -c
// configurations all run as given.
TEST(PlanJobs, DrawsThatRunAsAnotherOnTheProblemAreLeftOut) {
  const Variant* v = Registry::instance().find("fused.wgmma_rs_tf32");
  ASSERT_NE(v, nullptr);
  SweepOptions o;
  o.variants = "fused.wgmma_rs_tf32";
  o.baseline = false;
  o.strategy = "random";
  o.budget = 40;
  const Problem seed = parse_problem("seed"), padded = parse_problem("64,64,256,256,128,3,3,1,1");
  std::vector<std::string> notes;
  const auto jobs = plan_jobs(o, &seed, &notes);
  ASSERT_EQ(jobs.size(), 40u);
  std::set<Config> ways;
  for (const Job& j : jobs) {
    EXPECT_EQ(j.config.at("tstore"), 0) << config_string(j.config);
    EXPECT_FALSE(v->space().violation(j.config));
    ways.insert(v->runs_as(seed, j.config));
  }
  EXPECT_EQ(ways.size(), jobs.size());
  int tstore = 0;
  for (const Job& j : plan_jobs(o, &padded)) tstore += j.config.at("tstore") == 1;
  EXPECT_GT(tstore, 0) << "no tstore:1 drawn where it runs";
  // Everything pinned but tstore: two configurations, one way to run on the seed, two on the padded twin.
  o.pin = v->space().default_config();
  o.pin.erase("tstore");
  for (const char* strategy : {"random", "exhaustive"}) {
    o.strategy = strategy;
    notes.clear();
    const auto one = plan_jobs(o, &seed, &notes);
    ASSERT_EQ(one.size(), 1u) << strategy;
    EXPECT_EQ(one[0].config, v->space().default_config()) << strategy;
    ASSERT_EQ(notes.size(), 1u) << strategy;
    EXPECT_NE(notes[0].find("fused.wgmma_rs_tf32: 1 "), std::string::npos) << notes[0];
    EXPECT_NE(notes[0].find("left out: on seed"), std::string::npos) << notes[0];
    notes.clear();
    EXPECT_EQ(plan_jobs(o, &padded, &notes).size(), 2u) << strategy;
    EXPECT_TRUE(notes.empty()) << strategy;
    EXPECT_EQ(plan_jobs(o).size(), 2u) << strategy << ": without the problem";
  }
  o.pin.clear();
  // Without the problem (and for -c), the plan is the space's own.
  Config given = v->space().default_config();
  given["tstore"] = 1;
  o.configs = {given};
  notes.clear();
  const auto explicit_jobs = plan_jobs(o, &seed, &notes);
  ASSERT_EQ(explicit_jobs.size(), 1u);
  EXPECT_EQ(explicit_jobs[0].config, given);
  EXPECT_TRUE(notes.empty());
}

TEST(ConfigString, RoundTripsAndRejectsGarbage) {
  const Config c{{"block", 256}, {"vec", 4}};
  EXPECT_EQ(config_string(c), "block:256/vec:4");
  EXPECT_EQ(parse_config("block:256/vec:4"), c);
  EXPECT_THROW(parse_config("block=256"), UsageError);
  EXPECT_THROW(parse_config("block:abc"), UsageError);
}

// Sweep planning needs no GPU: the baseline comes first, --repeat replays the same plan in rounds.
TEST(PlanJobs, BaselineFirstAndRepeatReplaysTheSamePlan) {
  SweepOptions o;
  o.variants = "fused.naive";
  o.strategy = "random";
  o.budget = 3;
  o.repeat = 2;
  const auto jobs = plan_jobs(o);
  ASSERT_EQ(jobs.size(), 8u);  // (baseline + 3) x 2 rounds
  EXPECT_TRUE(jobs[0].is_baseline);
  EXPECT_TRUE(jobs[4].is_baseline);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(jobs[i].round, 0);
    EXPECT_EQ(jobs[i + 4].round, 1);
    EXPECT_EQ(jobs[i].config, jobs[i + 4].config);
    EXPECT_EQ(jobs[i].variant, jobs[i + 4].variant);
  }
  o.repeat = 0;
  EXPECT_THROW(plan_jobs(o), UsageError);
  o.repeat = 1;
  o.variants = "nothing.matches*";
  EXPECT_THROW(plan_jobs(o), UsageError);
}

// -c given several times: each configuration goes to the selected variants whose spaces take it, in the order given,
// and with --repeat every round has them all (an A/B in one run); a configuration no selected variant takes, or a
// selected variant that takes none, is a usage error with the reasons.
TEST(PlanJobs, SeveralConfigurationsGoToTheVariantsTheyFit) {
  SweepOptions o;
  o.variants = "fused.naive,fused.wgmma_rs_tf32";
  o.baseline = false;
  o.repeat = 2;
  Config wg = Registry::instance().find("fused.wgmma_rs_tf32")->space().default_config(), wg1 = wg;
  wg1["order"] = 1;
  o.configs = {Config{{"block", 128}}, wg, wg1};
  const auto jobs = plan_jobs(o);
  ASSERT_EQ(jobs.size(), 6u);  // 3 configurations x 2 rounds
  for (size_t round = 0; round < 2; ++round) {
    EXPECT_EQ(jobs[3 * round].variant->id(), "fused.naive");
    EXPECT_EQ(jobs[3 * round].config, o.configs[0]);
    EXPECT_EQ(jobs[3 * round + 1].variant->id(), "fused.wgmma_rs_tf32");
    EXPECT_EQ(jobs[3 * round + 1].config, wg);
    EXPECT_EQ(jobs[3 * round + 2].config, wg1);
    EXPECT_EQ(jobs[3 * round + 2].round, int(round));
  }
  auto refusal = [&]() -> std::string {
    try {
      plan_jobs(o);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "accepted";
  };
  o.configs = {Config{{"block", 128}}, Config{{"block", 7}}};
  const std::string none = refusal();
  EXPECT_EQ(none.find("no configuration given with -c fits fused.wgmma_rs_tf32 ("), 0u) << none;
  o.variants = "fused.naive";
  const std::string fits_none = refusal();
  EXPECT_EQ(fits_none.find("configuration 'block:7' fits no selected variant (fused.naive: "), 0u) << fits_none;
  o.configs = {Config{{"block", 7}}};  // one configuration: the message of a single -c
  EXPECT_EQ(refusal().find("configuration 'block:7' for fused.naive: "), 0u) << refusal();
  o.configs = {Config{{"block", 128}}, Config{{"block", 256}}, Config{{"block", 128}}};  // --resume could not tell
  EXPECT_EQ(refusal(), "configuration 'block:128' is given twice with -c (--repeat runs it again)");
}

TEST(ParamSpace, PinnedKeepsOnlyThePinnedValue) {
  const ParamSpace p = space().pinned({{"threads", 128}, {"not_here", 3}});  // unknown names are ignored
  const auto all = p.enumerate();
  ASSERT_EQ(all.size(), 2u);  // tile 16 and 32 with 128 threads
  for (const auto& c : all) EXPECT_EQ(c.at("threads"), 128);
  EXPECT_EQ(p.default_config(), (Config{{"tile", 16}, {"threads", 128}}));
  EXPECT_TRUE(p.has("tile"));
  EXPECT_FALSE(p.has("not_here"));
  try {
    (void)space().pinned({{"threads", 100}});
    FAIL() << "a value outside the list must be refused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("64, 128, 256"), std::string::npos) << e.what();
  }
}

// --pin: every configuration of a variant that has the parameter carries the value; other variants are swept
// whole; a parameter no selected variant has, or a pin that leaves no valid configuration, is a usage error.
TEST(PlanJobs, PinRestrictsTheSweep) {
  SweepOptions o;
  o.variants = "fused.tiled_fp32,mish.naive";
  o.strategy = "random";
  o.budget = 6;
  o.baseline = false;
  o.pin = {{"form", 4}, {"rh", 4}};
  const auto jobs = plan_jobs(o);
  size_t tiled = 0;
  for (const Job& j : jobs)
    if (j.variant->id() == "fused.tiled_fp32") {
      ++tiled;
      EXPECT_EQ(j.config.at("form"), 4);
      EXPECT_EQ(j.config.at("rh"), 4);
    }
  EXPECT_EQ(tiled, 6u);
  EXPECT_GT(jobs.size(), tiled);  // mish.naive is there, unpinned
  o.pin = {{"no_such_param", 1}};
  EXPECT_THROW(plan_jobs(o), UsageError);
  o.pin = {{"form", 4}, {"rh", 4}, {"rk", 16}};  // 16x4x4 or more accumulators: none valid
  EXPECT_THROW(plan_jobs(o), UsageError);
}
