// The commit a binary records in its reports (cmake/GitCommit.cmake, run at every build): the script's output for
// a scratch git repository through commits, edits, the environment override and no repository at all, and this
// build's own label against the source tree's HEAD.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tuner/build_info.hpp"

namespace fs = std::filesystem;

namespace {

// Runs a shell command; returns its exit status and fills `out` with its standard output.
int run(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  const int status = pclose(p);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class GitCommitScript : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("git --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
    dir_ = fs::temp_directory_path() / ("convmish_gitcommit_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "repo");
    git("init -q");
    git("config user.email t@example.com");
    git("config user.name t");
    std::ofstream(dir_ / "repo" / "a.txt") << "one\n";
    git("add a.txt");
    git("commit -q -m one");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void git(const std::string& args) {
    ASSERT_EQ(run("git -C '" + (dir_ / "repo").string() + "' " + args + " > /dev/null 2>&1"), 0) << args;
  }
  std::string head() {
    std::string h;
    run("git -C '" + (dir_ / "repo").string() + "' rev-parse --short=12 HEAD", &h);
    return h;
  }
  // The script's label for `src` (env: a CONVMISH_GIT_COMMIT value, or unset).
  std::string label(const fs::path& src, const char* env = nullptr) {
    const std::string cmd = std::string(env ? "CONVMISH_GIT_COMMIT='" + std::string(env) + "' " : "env -u CONVMISH_GIT_COMMIT ") +
                            "'" CONVMISH_CMAKE "' -DSOURCE_DIR='" + src.string() + "' -DOUTPUT='" + out().string() +
                            "' -P '" CONVMISH_SOURCE_DIR "/cmake/GitCommit.cmake'";
    EXPECT_EQ(run(cmd), 0) << cmd;
    const std::string text = read(out());
    const auto a = text.find("return \""), b = text.rfind("\";");
    EXPECT_NE(a, std::string::npos) << text;
    return a == std::string::npos || b == std::string::npos ? "" : text.substr(a + 8, b - a - 8);
  }
  fs::path out() const { return dir_ / "git_commit.cpp"; }
  fs::path dir_;
};

TEST_F(GitCommitScript, FollowsEachNewCommitWithoutAReconfigure) {
  const std::string first = head();
  ASSERT_EQ(first.size(), 12u);
  EXPECT_EQ(label(dir_ / "repo"), first);
  std::ofstream(dir_ / "repo" / "a.txt") << "two\n";
  git("commit -q -am two");
  ASSERT_NE(head(), first);
  EXPECT_EQ(label(dir_ / "repo"), head());  // the configure-time label kept `first` here
}

TEST_F(GitCommitScript, MarksUncommittedChangesToTrackedFiles) {
  std::ofstream(dir_ / "repo" / "untracked.txt") << "x\n";
  EXPECT_EQ(label(dir_ / "repo"), head());  // untracked files do not count
  std::ofstream(dir_ / "repo" / "a.txt") << "edited\n";
  EXPECT_EQ(label(dir_ / "repo"), head() + "-dirty");
}

TEST_F(GitCommitScript, TakesTheEnvironmentsCommitAndSaysUnknownWithoutARepository) {
  EXPECT_EQ(label(dir_ / "repo", "0123456789ab"), "0123456789ab");
  EXPECT_EQ(label(dir_ / "repo", "bad\"quote"), "bad_quote");  // still a valid C string literal
  fs::create_directories(dir_ / "plain");
  EXPECT_EQ(label(dir_ / "plain"), "unknown");
}

TEST_F(GitCommitScript, LeavesTheFileAloneWhenNothingChanged) {
  label(dir_ / "repo");
  const auto t0 = fs::last_write_time(out());
  fs::last_write_time(out(), t0 - std::chrono::hours(1));  // a rewrite would move it forward again
  const auto t1 = fs::last_write_time(out());
  label(dir_ / "repo");
  EXPECT_EQ(fs::last_write_time(out()), t1) << "rewritten with the same text: everything depending on it recompiles";
}

TEST(BuildInfo, ThisBuildsLabelIsTheSourceTreesHead) {
  const std::string built = convmish::build_git_commit();
  if (const char* env = std::getenv("CONVMISH_GIT_COMMIT"); env && *env)
    GTEST_SKIP() << "CONVMISH_GIT_COMMIT is set, so the build took its label from the environment";
  std::string h;
  if (run("git -C '" CONVMISH_SOURCE_DIR "' rev-parse --short=12 HEAD 2> /dev/null", &h) != 0 || h.empty())
    GTEST_SKIP() << "no git repository at " CONVMISH_SOURCE_DIR;
  EXPECT_EQ(built.substr(0, 12), h) << "built from " << built << ", the tree is at " << h
                                     << " (a commit after the last build: rebuild)";
}

}  // namespace
