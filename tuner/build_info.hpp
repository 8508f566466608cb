// What this binary was built from, for every report it writes.
#pragma once

namespace convmish {
// The commit of the source tree at build time (cmake/GitCommit.cmake): 12 hex digits, "-dirty" when tracked files
// differed from it, the environment's CONVMISH_GIT_COMMIT where the tree had no .git, or "unknown".
const char* build_git_commit();
}  // namespace convmish

#define CONVMISH_GIT_COMMIT (::convmish::build_git_commit())
