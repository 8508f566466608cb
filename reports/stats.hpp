// Two-sample statistics for comparing timings: the Mann-Whitney U test against a shifted null, the
// Hodges-Lehmann shift with its distribution-free (Moses) confidence interval, and the Holm-Bonferroni correction.
// Normal approximations throughout (tie-corrected for the test); the samples here are tens to tens of thousands.
#pragma once
#include <vector>

namespace convmish {

double median(std::vector<double> v);  // NaN when empty

// Upper tail of the standard normal, P(Z > z), and its inverse.
double normal_sf(double z);
double normal_isf(double p);

// One-sided Mann-Whitney p-value for "y - delta tends to be larger than x" (greater) or smaller (!greater).
// Ties get mid-ranks and the tie-corrected variance; 1 when every value is tied.
double mann_whitney_p(const std::vector<double>& x, const std::vector<double>& y, double delta, bool greater);

// Confidence interval, at level 1 - alpha (two-sided), of the location shift of y relative to x: order statistics
// of the n*m differences y_j - x_i (Moses), without forming them. {-inf, +inf} when the samples are too small.
struct Interval {
  double lo, hi;
};
Interval shift_interval(std::vector<double> x, std::vector<double> y, double alpha);

// Holm-Bonferroni adjusted p-values, in the input order: reject hypothesis i at family-wise level alpha when
// adjusted[i] <= alpha.
std::vector<double> holm_adjust(const std::vector<double>& p);

}  // namespace convmish
