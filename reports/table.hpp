// A small table printed either as aligned console text or as a Markdown table, and the number formats the
// reports share.
#pragma once
#include <string>
#include <vector>

namespace convmish {

class Table {
 public:
  // Columns named with a leading '>' are right-aligned (numbers); the '>' is not printed.
  explicit Table(std::vector<std::string> columns);
  void add(std::vector<std::string> cells);  // one cell per column
  bool empty() const { return rows_.empty(); }
  std::string text() const;      // aligned columns, a rule under the header
  std::string markdown() const;  // GitHub-flavoured; '|' and newlines in cells are escaped

 private:
  std::vector<std::string> names_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string fixed(double v, int digits);  // "-" for NaN or infinity
std::string sci(double v, int digits = 2);
std::string percent(double fraction, int digits = 1);  // 0.031 -> "3.1%"
std::string significant(double v);  // about four significant digits, fixed notation: "0.02291", "426.8"

}  // namespace convmish
