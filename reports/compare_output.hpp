// A Comparison as a console table, a one-line summary and a Markdown section.
#pragma once
#include <string>

#include "reports/compare.hpp"

namespace convmish {

std::string comparison_text(const Comparison& c);      // the table, then warnings
std::string comparison_summary(const Comparison& c);   // "12 configurations: 1 slower, ... -> REGRESSION"
std::string comparison_markdown(const Comparison& c);  // "## Performance comparison" with provenance and table

}  // namespace convmish
