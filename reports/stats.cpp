#include "reports/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>

namespace convmish {

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + h, v.end());
  if (v.size() % 2) return v[h];
  return 0.5 * (v[h] + *std::max_element(v.begin(), v.begin() + h));
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double normal_isf(double p) {
  double lo = -40, hi = 40;  // normal_sf falls from 1 to 0 over this range
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_sf(mid) > p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double mann_whitney_p(const std::vector<double>& x, const std::vector<double>& y, double delta, bool greater) {
  // Rank the pooled sample {x_i} u {y_j - delta}; U counts the pairs where the shifted y is larger (ties: half).
  std::vector<std::pair<double, bool>> all;  // value, from y
  all.reserve(x.size() + y.size());
  for (double v : x) all.emplace_back(v, false);
  for (double v : y) all.emplace_back(v - delta, true);
  std::sort(all.begin(), all.end());
  const double n = double(x.size()), m = double(y.size()), total = n + m;
  double rank_sum_y = 0, ties = 0;  // ties: sum of t^3 - t over groups of equal values
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double t = double(j - i), mid_rank = 0.5 * double(i + 1 + j);
    for (size_t k = i; k < j; ++k)
      if (all[k].second) rank_sum_y += mid_rank;
    ties += t * t * t - t;
    i = j;
  }
  const double u = rank_sum_y - m * (m + 1) / 2;
  const double var = n * m / 12 * ((total + 1) - ties / (total * (total - 1)));
  if (!(var > 0)) return 1.0;
  const double centred = u - n * m / 2;
  const double z = greater ? (centred - 0.5) / std::sqrt(var) : (-centred - 0.5) / std::sqrt(var);
  return normal_sf(z);  // continuity-corrected
}

namespace {

// Pairs (i, j) with y_j - x_i <= d; both sorted ascending, O(n + m).
int64_t count_at_most(const std::vector<double>& x, const std::vector<double>& y, double d) {
  int64_t count = 0;
  size_t j = 0;
  for (double xi : x) {
    while (j < y.size() && y[j] <= xi + d) ++j;
    count += int64_t(j);
  }
  return count;
}

// The k-th smallest difference y_j - x_i (1-based), by bisection on its value.
double kth_difference(const std::vector<double>& x, const std::vector<double>& y, int64_t k) {
  double lo = y.front() - x.back() - 1, hi = y.back() - x.front() + 1;  // count(lo) < k <= count(hi)
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    (count_at_most(x, y, mid) >= k ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

Interval shift_interval(std::vector<double> x, std::vector<double> y, double alpha) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (x.empty() || y.empty()) return {-kInf, kInf};
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  const double n = double(x.size()), m = double(y.size());
  const double k = std::floor(n * m / 2 - normal_isf(alpha / 2) * std::sqrt(n * m * (n + m + 1) / 12));
  if (k < 1) return {-kInf, kInf};
  const int64_t k_lo = int64_t(k), k_hi = int64_t(n) * int64_t(m) + 1 - k_lo;
  return {kth_difference(x, y, k_lo), kth_difference(x, y, k_hi)};
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(p.size());
  double running = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    running = std::max(running, std::min(1.0, double(p.size() - i) * p[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

}  // namespace convmish
