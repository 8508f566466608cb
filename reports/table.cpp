#include "reports/table.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace convmish {

Table::Table(std::vector<std::string> columns) {
  for (auto& c : columns) {
    right_.push_back(!c.empty() && c[0] == '>');
    names_.push_back(right_.back() ? c.substr(1) : c);
  }
}

void Table::add(std::vector<std::string> cells) {
  if (cells.size() != names_.size()) throw std::logic_error("Table::add: wrong number of cells");
  rows_.push_back(std::move(cells));
}

std::string Table::text() const {
  std::vector<size_t> width(names_.size());
  for (size_t c = 0; c < names_.size(); ++c) {
    width[c] = names_[c].size();
    for (const auto& r : rows_) width[c] = std::max(width[c], r[c].size());
  }
  std::ostringstream s;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      out += (c ? "  " : "") + (right_[c] ? pad + cells[c] : cells[c] + pad);
    }
    s << out.substr(0, out.find_last_not_of(' ') + 1) << "\n";
  };
  line(names_);
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  s << std::string(total - 2, '-') << "\n";
  for (const auto& r : rows_) line(r);
  return s.str();
}

namespace {
std::string escape_cell(const std::string& cell) {
  std::string out;
  for (char ch : cell) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n' || ch == '\r') out += ' ';
    else out += ch;
  }
  return out;
}
}  // namespace

std::string Table::markdown() const {
  std::ostringstream s;
  auto line = [&](const std::vector<std::string>& cells) {
    s << "|";
    for (const auto& c : cells) s << " " << escape_cell(c) << " |";
    s << "\n";
  };
  line(names_);
  s << "|";
  for (bool r : right_) s << (r ? " ---: |" : " --- |");
  s << "\n";
  for (const auto& r : rows_) line(r);
  return s.str();
}

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

std::string sci(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s.setf(std::ios::scientific);
  s.precision(digits);
  s << v;
  return s.str();
}

std::string percent(double fraction, int digits) {
  return std::isfinite(fraction) ? fixed(100 * fraction, digits) + "%" : "-";
}

std::string significant(double v) {
  const double a = std::fabs(v);
  return fixed(v, a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : a >= 0.1 ? 4 : 5);
}

}  // namespace convmish
