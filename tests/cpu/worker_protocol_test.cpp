// The isolation protocol: job and record messages survive the trip, errors come back as the same exception
// types, and the line channel splits, waits and notices a closed peer.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "tuner/check.hpp"
#include "tuner/timer.hpp"
#include "tuner/worker_protocol.hpp"

using namespace convmish;
using nlohmann::json;
using Read = protocol::LineChannel::Read;

namespace {
Job job_of(const std::string& variant, Config c, int round = 0, bool baseline = false) {
  const Variant* v = Registry::instance().find(variant);
  EXPECT_NE(v, nullptr) << variant;
  return Job{v, std::move(c), baseline, round};
}

struct SocketPair {
  int fd[2];
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~SocketPair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close(int i) {
    ::close(fd[i]);
    fd[i] = -1;
  }
};
}  // namespace

TEST(WorkerProtocol, JobMessageRoundTripsWithItsPrefetchList) {
  const Job job = job_of("cudnn.eager", {{"tf32", 1}}, 2, true);
  const Job next1 = job_of("fused.naive", {{"block", 128}});
  const Job next2 = job_of("mish.naive", {{"block", 256}, {"tf32", 0}}, 1);
  const json line = json::parse(protocol::job_message(7, job, {{8, &next1}, {11, &next2}}).dump());
  const protocol::JobMessage m = protocol::parse_job(line);
  EXPECT_EQ(line["type"], "job");
  EXPECT_EQ(m.index, 7u);
  EXPECT_EQ(m.job.variant, job.variant);
  EXPECT_EQ(m.job.config, job.config);
  EXPECT_EQ(m.job.round, 2);
  EXPECT_TRUE(m.job.is_baseline);
  const Ahead ahead = m.ahead();
  ASSERT_EQ(ahead.size(), 2u);
  EXPECT_EQ(ahead[0].first, 8u);
  EXPECT_EQ(ahead[0].second->variant->id(), "fused.naive");
  EXPECT_EQ(ahead[1].first, 11u);
  EXPECT_EQ(ahead[1].second->config, next2.config);
  EXPECT_EQ(ahead[1].second->round, 1);
  EXPECT_FALSE(ahead[1].second->is_baseline);
}

TEST(WorkerProtocol, JobForAVariantThisBinaryLacksIsRefusedByName) {
  json m = protocol::job_message(0, job_of("fused.naive", {{"block", 128}}), {});
  m["variant"] = "test.not_here";
  try {
    protocol::parse_job(m);
    FAIL() << "accepted an unknown variant";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("test.not_here"), std::string::npos) << e.what();
  }
  m.erase("round");
  EXPECT_THROW(protocol::parse_job(m), std::runtime_error);
}

TEST(WorkerProtocol, RecordMessageCarriesEveryFieldOfTheRecord) {
  Record r;
  r.id = 4;
  r.variant = "fused.naive";
  r.params = {{"block", 64}};
  r.precision = "fp32";
  r.status = Status::kOk;
  Verdict v;
  v.pass = true;
  v.precision = "fp32";
  v.rel_l2 = 3.25e-7;
  v.max_abs = 1e-6;
  v.n = 1000;
  v.tol_rel_l2 = 2e-6;
  v.tol_atol = v.tol_rtol = 1e-5;
  v.checks = 2;
  r.verdict = v;
  r.timing = summarize({1.0, 1.25, 0.875, 1.0625, 1.1});
  r.tflops = 12.5;
  r.gbps = 700.25;
  r.details = {{"kernels", json::array({{{"name", "conv_naive_fused"}, {"registers", 40}}})}, {"round", 1}};
  const json m = json::parse(protocol::record_message(4, r, true).dump());
  EXPECT_EQ(m["type"], "record");
  EXPECT_EQ(m["index"], 4);
  EXPECT_EQ(m["fatal"], true);
  EXPECT_EQ(json(m["record"].get<Record>()), json(r));  // nothing lost or rounded on the way
}

TEST(WorkerProtocol, ErrorsComeBackAsTheExceptionTypeTheyWere) {
  auto back = [](const std::exception& e) {
    const json m = json::parse(protocol::error_message(e).dump());
    EXPECT_EQ(m["type"], "error");
    protocol::rethrow(m, "worker pid 1: ");
  };
  EXPECT_THROW(back(UsageError("bad")), UsageError);
  EXPECT_THROW(back(NoGpuError("no usable GPU: none")), NoGpuError);
  EXPECT_THROW(back(CudaError("cudaErrorIllegalAddress", cudaErrorIllegalAddress)), CudaError);
  try {
    back(std::runtime_error("something else"));
    FAIL();
  } catch (const UsageError&) {
    FAIL() << "a plain error became a usage error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "worker pid 1: something else");
  }
}

TEST(LineChannel, SplitsLinesAcrossReadsWaitsUntilTheDeadlineAndSeesTheEnd) {
  SocketPair s;
  protocol::LineChannel ch(s.fd[0], s.fd[0]);
  const std::string two = "{\"a\":1}\n{\"b\":2}\n{\"c\":";
  ASSERT_EQ(::write(s.fd[1], two.data(), two.size()), ssize_t(two.size()));
  std::string line;
  ASSERT_EQ(ch.read_line(line, 1.0), Read::kLine);
  EXPECT_EQ(line, "{\"a\":1}");
  ASSERT_EQ(ch.read_line(line, 1.0), Read::kLine);
  EXPECT_EQ(line, "{\"b\":2}");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ch.read_line(line, 0.2), Read::kTimeout);  // half a line is not a line
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(waited, 0.19);
  EXPECT_LT(waited, 2.0);
  ASSERT_EQ(::write(s.fd[1], "3}\n", 3), 3);
  ASSERT_EQ(ch.read_line(line, std::nullopt), Read::kLine);
  EXPECT_EQ(line, "{\"c\":3}");
  s.close(1);
  EXPECT_EQ(ch.read_line(line, 1.0), Read::kEof);
}

TEST(LineChannel, SendToAClosedPeerFailsWithoutSigpipe) {
  SocketPair s;
  protocol::LineChannel ch(s.fd[0], s.fd[0]);
  EXPECT_TRUE(ch.send({{"type", "job"}}));
  s.close(1);
  EXPECT_FALSE(ch.send({{"type", "job"}}));  // SIGPIPE would have ended this test binary
}
