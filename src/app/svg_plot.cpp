#include "app/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace bts::app::svg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kTitleHeight = 24;
constexpr int kLegendRowHeight = 16;
constexpr int kAxisHeight = 34;
constexpr double kCharWidth = 6.4;  // px per character at 11 px, for layout estimates

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text == "-0" || text.rfind("-0.", 0) == 0) {
    bool all_zero = true;
    for (const char c : text.substr(1)) {
      if (c != '0' && c != '.') all_zero = false;
    }
    if (all_zero) text = text.substr(1);
  }
  return text;
}

/// Coordinates with one decimal: small and precise enough for a screen.
std::string px(double value) { return fixed(value, 1); }

/// A tick label: as many decimals as the step needs.
std::string tick_label(double value, double step) {
  int decimals = 0;
  while (decimals < 6 && std::fabs(step * std::pow(10.0, decimals) -
                                   std::round(step * std::pow(10.0, decimals))) > 1e-6) {
    ++decimals;
  }
  return fixed(value, decimals);
}

/// 1, 2 or 5 times a power of ten, about range / target.
double nice_step(double range, int target) {
  if (!(range > 0.0)) return 1.0;
  const double raw = range / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= factor * power) return factor * power;
  }
  return 10.0 * power;
}

struct Point {
  double x;
  double y;
};

/// The points worth drawing: all of them when there are no more than pixel columns, else per
/// bucket of two pixel columns the lowest and the highest (in their order), so peaks survive.
/// NaN stays as a break.
std::vector<Point> thin(const TimeAxis& axis, const std::vector<double>& x,
                        const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  std::vector<Point> out;
  if (n <= static_cast<std::size_t>(axis.plot_width())) {
    for (std::size_t i = 0; i < n; ++i) out.push_back({x[i], y[i]});
    return out;
  }
  const auto bucket_of = [&](double time_s) {
    return std::lround(std::floor(axis.x(time_s) / 2.0));
  };
  std::size_t i = 0;
  while (i < n) {
    const long bucket = bucket_of(x[i]);
    std::size_t end = i;
    std::size_t lowest = n, highest = n;
    bool has_nan = false;
    while (end < n && bucket_of(x[end]) == bucket) {
      if (std::isnan(y[end])) {
        has_nan = true;
      } else {
        if (lowest == n || y[end] < y[lowest]) lowest = end;
        if (highest == n || y[end] > y[highest]) highest = end;
      }
      ++end;
    }
    if (lowest != n) {
      out.push_back({x[std::min(lowest, highest)], y[std::min(lowest, highest)]});
      if (lowest != highest)
        out.push_back({x[std::max(lowest, highest)], y[std::max(lowest, highest)]});
    }
    if (has_nan) out.push_back({x[end - 1], kNaN});
    i = end;
  }
  return out;
}

/// A band thinned to one point per two pixel columns: the lowest lo and the highest hi there.
void thin_band(const TimeAxis& axis, const Band& band, std::vector<Point>& lo,
               std::vector<Point>& hi) {
  const std::size_t n = std::min({band.x.size(), band.lo.size(), band.hi.size()});
  const bool all = n <= static_cast<std::size_t>(axis.plot_width());
  const auto bucket_of = [&](double time_s) {
    return std::lround(std::floor(axis.x(time_s) / 2.0));
  };
  std::size_t i = 0;
  while (i < n) {
    std::size_t end = i + 1;
    if (!all) {
      while (end < n && bucket_of(band.x[end]) == bucket_of(band.x[i])) ++end;
    }
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (std::size_t k = i; k < end; ++k) {
      if (std::isfinite(band.lo[k])) low = std::min(low, band.lo[k]);
      if (std::isfinite(band.hi[k])) high = std::max(high, band.hi[k]);
    }
    if (std::isfinite(low) && std::isfinite(high)) {
      lo.push_back({band.x[i], low});
      hi.push_back({band.x[i], high});
    }
    i = end;
  }
}

struct YScale {
  double min = 0.0;
  double max = 1.0;
  double step = 0.2;
  int top = 0;
  int height = 100;
  double y(double value) const {
    const double clamped = std::clamp(value, min, max);
    return top + height - (clamped - min) / (max - min) * height;
  }
};

YScale y_scale(const Chart& chart, int top) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  const auto take = [&](double v) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  };
  for (const auto& line : chart.lines) {
    for (const double v : line.y) take(v);
  }
  for (const auto& band : chart.bands) {
    for (const double v : band.lo) take(v);
    for (const double v : band.hi) take(v);
  }
  const double data_lo = lo;
  const double data_hi = hi;
  for (const auto& level : chart.levels) {
    if (!level.only_when_near || !std::isfinite(data_lo)) {
      take(level.y);
    } else {
      const double reach = 0.5 * std::max(data_hi - data_lo, 1e-9);
      if (level.y >= data_lo - reach && level.y <= data_hi + reach) take(level.y);
    }
  }
  if (chart.y_from_zero) take(0.0);
  YScale scale;
  scale.top = top;
  scale.height = chart.plot_height;
  if (chart.fixed_y) {
    lo = chart.y_min;
    hi = chart.y_max;
  } else if (!std::isfinite(lo)) {
    lo = 0.0;
    hi = 1.0;
  } else if (hi - lo < 1e-9) {
    const double pad = std::max(1.0, std::fabs(hi) * 0.05);
    lo -= pad;
    hi += pad;
  } else {
    const double pad = (hi - lo) * 0.05;
    if (!(chart.y_from_zero && lo == 0.0)) lo -= pad;
    hi += pad;
  }
  scale.step = nice_step(hi - lo, 5);
  if (!chart.fixed_y) {
    lo = std::floor(lo / scale.step) * scale.step;
    hi = std::ceil(hi / scale.step) * scale.step;
  }
  scale.min = lo;
  scale.max = hi;
  return scale;
}

/// Legend items laid out in rows across the plot width; returns the number of rows.
struct LegendItem {
  std::string name;
  std::string colour;
  bool band = false;
  bool dashed = false;
};

int legend_rows(const TimeAxis& axis, const std::vector<LegendItem>& items, std::ostream* out,
                int top) {
  int rows = items.empty() ? 0 : 1;
  double x = axis.left;
  for (const auto& item : items) {
    const double width = 22 + item.name.size() * kCharWidth + 14;
    if (x + width > axis.width - axis.right && x > axis.left) {
      ++rows;
      x = axis.left;
    }
    if (out != nullptr) {
      const double y = top + (rows - 1) * kLegendRowHeight + 8;
      if (item.band) {
        *out << "<rect x=\"" << px(x) << "\" y=\"" << px(y - 5) << "\" width=\"16\" height=\"10\" "
             << "fill=\"" << item.colour << "\" fill-opacity=\"0.35\" stroke=\"" << item.colour
             << "\"/>";
      } else {
        *out << "<line x1=\"" << px(x) << "\" y1=\"" << px(y) << "\" x2=\"" << px(x + 16)
             << "\" y2=\"" << px(y) << "\" stroke=\"" << item.colour << "\" stroke-width=\"2.5\""
             << (item.dashed ? " stroke-dasharray=\"4 3\"" : "") << "/>";
      }
      *out << "<text x=\"" << px(x + 21) << "\" y=\"" << px(y + 4) << "\" class=\"legend\">"
           << escape(item.name) << "</text>";
    }
    x += width;
  }
  return rows;
}

void time_axis(const TimeAxis& axis, int plot_top, int plot_height, std::ostream& out) {
  const double unit = axis.unit_s();
  const double span = (axis.end_s - axis.start_s) / unit;
  std::vector<double> steps;
  const std::string name = axis.unit();
  if (name == "h") {
    steps = {0.25, 0.5, 1, 2, 3, 6, 12, 24};
  } else if (name == "min" || name == "s") {
    steps = {1, 2, 5, 10, 15, 30, 60};
  }
  double step = 0.0;
  for (const double candidate : steps) {
    if (span / candidate <= 10.0) {
      step = candidate;
      break;
    }
  }
  if (step == 0.0) step = nice_step(span, 8);
  const int bottom = plot_top + plot_height;
  const double first = std::ceil(axis.start_s / unit / step - 1e-9) * step;
  for (double t = first; t <= axis.end_s / unit + 1e-9; t += step) {
    const double x = axis.x(t * unit);
    out << "<line x1=\"" << px(x) << "\" y1=\"" << plot_top << "\" x2=\"" << px(x) << "\" y2=\""
        << bottom << "\" class=\"grid\"/>";
    out << "<text x=\"" << px(x) << "\" y=\"" << bottom + 14 << "\" class=\"tick\" "
        << "text-anchor=\"middle\">" << tick_label(t, step) << "</text>";
  }
  out << "<text x=\"" << axis.width - axis.right << "\" y=\"" << bottom + 28
      << "\" class=\"tick\" text-anchor=\"end\">time (" << name << ")</text>";
}

void draw_markers(const TimeAxis& axis, const std::vector<Marker>& markers, int top, int height,
                  std::ostream& out) {
  for (const auto& marker : markers) {
    const double x = axis.x(marker.time_s);
    out << "<line x1=\"" << px(x) << "\" y1=\"" << top << "\" x2=\"" << px(x) << "\" y2=\""
        << top + height << "\" stroke=\"" << marker.colour
        << "\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>";
    if (!marker.label.empty()) {
      out << "<text x=\"" << px(x + 2) << "\" y=\"" << top + 10 << "\" class=\"marker\" fill=\""
          << marker.colour << "\">" << escape(marker.label) << "</text>";
    }
  }
}

std::string path_of(const TimeAxis& axis, const YScale& scale, const std::vector<Point>& points) {
  std::ostringstream d;
  bool pen_down = false;
  for (const auto& p : points) {
    if (!std::isfinite(p.y) || !std::isfinite(p.x)) {
      pen_down = false;
      continue;
    }
    d << (pen_down ? "L" : "M") << px(axis.x(p.x)) << " " << px(scale.y(p.y));
    pen_down = true;
  }
  return d.str();
}

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double TimeAxis::x(double time_s) const {
  const double span = end_s > start_s ? end_s - start_s : 1.0;
  return left + (time_s - start_s) / span * plot_width();
}

std::string TimeAxis::unit() const {
  const double span = end_s - start_s;
  if (span <= 180.0) return "s";
  if (span <= 3.0 * 3600.0) return "min";
  if (span <= 3.0 * 86400.0) return "h";
  return "d";
}

double TimeAxis::unit_s() const {
  const std::string name = unit();
  if (name == "min") return 60.0;
  if (name == "h") return 3600.0;
  if (name == "d") return 86400.0;
  return 1.0;
}

std::string line_chart(const TimeAxis& axis, const Chart& chart) {
  std::vector<LegendItem> legend;
  for (const auto& band : chart.bands) legend.push_back({band.name, band.colour, true, false});
  for (const auto& line : chart.lines) {
    if (!line.name.empty()) legend.push_back({line.name, line.colour, false, line.dashed});
  }
  const int rows = legend_rows(axis, legend, nullptr, 0);
  const int legend_top = kTitleHeight;
  const int plot_top = legend_top + rows * kLegendRowHeight + 8;
  const int height = plot_top + chart.plot_height + kAxisHeight;
  const YScale scale = y_scale(chart, plot_top);

  std::ostringstream out;
  out << "<svg class=\"chart\" width=\"" << axis.width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << axis.width << " " << height << "\" role=\"img\" aria-label=\""
      << escape(chart.title) << "\">";
  out << "<text x=\"" << axis.left << "\" y=\"16\" class=\"title\">" << escape(chart.title)
      << "</text>";
  legend_rows(axis, legend, &out, legend_top);
  const int plot_width = axis.plot_width();
  out << "<rect x=\"" << axis.left << "\" y=\"" << plot_top << "\" width=\"" << plot_width
      << "\" height=\"" << chart.plot_height << "\" class=\"plot\"/>";
  // Y grid and labels.
  for (double v = scale.min; v <= scale.max + scale.step * 1e-6; v += scale.step) {
    const double y = scale.y(v);
    out << "<line x1=\"" << axis.left << "\" y1=\"" << px(y) << "\" x2=\"" << axis.left + plot_width
        << "\" y2=\"" << px(y) << "\" class=\"grid\"/>";
    out << "<text x=\"" << axis.left - 6 << "\" y=\"" << px(y + 4) << "\" class=\"tick\" "
        << "text-anchor=\"end\">" << tick_label(v, scale.step) << "</text>";
  }
  out << "<text x=\"14\" y=\"" << plot_top + chart.plot_height / 2 << "\" class=\"tick\" "
      << "text-anchor=\"middle\" transform=\"rotate(-90 14 " << plot_top + chart.plot_height / 2
      << ")\">" << escape(chart.y_unit) << "</text>";
  time_axis(axis, plot_top, chart.plot_height, out);

  for (const auto& band : chart.bands) {
    std::vector<Point> lo, hi;
    thin_band(axis, band, lo, hi);
    std::ostringstream points;
    for (const auto& p : hi) {
      if (std::isfinite(p.y)) points << px(axis.x(p.x)) << "," << px(scale.y(p.y)) << " ";
    }
    for (auto it = lo.rbegin(); it != lo.rend(); ++it) {
      if (std::isfinite(it->y)) points << px(axis.x(it->x)) << "," << px(scale.y(it->y)) << " ";
    }
    out << "<polygon points=\"" << points.str() << "\" fill=\"" << band.colour
        << "\" fill-opacity=\"0.35\" stroke=\"" << band.colour << "\" stroke-width=\"0.8\"><title>"
        << escape(band.name) << "</title></polygon>";
  }
  for (const auto& level : chart.levels) {
    if (level.y < scale.min || level.y > scale.max) continue;
    const double y = scale.y(level.y);
    out << "<line x1=\"" << axis.left << "\" y1=\"" << px(y) << "\" x2=\"" << axis.left + plot_width
        << "\" y2=\"" << px(y) << "\" stroke=\"" << level.colour
        << "\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>";
    out << "<text x=\"" << axis.left + plot_width - 4 << "\" y=\"" << px(y - 3)
        << "\" class=\"level\" text-anchor=\"end\" fill=\"" << level.colour << "\">"
        << escape(level.label) << "</text>";
  }
  for (const auto& line : chart.lines) {
    const std::string d = path_of(axis, scale, thin(axis, line.x, line.y));
    if (d.empty()) continue;
    out << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << line.colour << "\" stroke-width=\""
        << px(line.width) << "\" stroke-linejoin=\"round\""
        << (line.dashed ? " stroke-dasharray=\"5 3\"" : "") << "><title>" << escape(line.name)
        << "</title></path>";
  }
  draw_markers(axis, chart.markers, plot_top, chart.plot_height, out);
  out << "</svg>";
  return out.str();
}

std::string strip_chart(const TimeAxis& axis, const Strip& strip) {
  const int top = kTitleHeight + (strip.markers.empty() ? 0 : 12);
  const int gap = 3;
  const int rows_height = static_cast<int>(strip.rows.size()) * (strip.row_height + gap) -
                          (strip.rows.empty() ? 0 : gap);
  const int height = top + rows_height + kAxisHeight;
  std::ostringstream out;
  out << "<svg class=\"chart\" width=\"" << axis.width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << axis.width << " " << height << "\" role=\"img\" aria-label=\""
      << escape(strip.title) << "\">";
  out << "<text x=\"" << axis.left << "\" y=\"16\" class=\"title\">" << escape(strip.title)
      << "</text>";
  time_axis(axis, top, rows_height, out);
  for (std::size_t r = 0; r < strip.rows.size(); ++r) {
    const StripRow& row = strip.rows[r];
    const int y = top + static_cast<int>(r) * (strip.row_height + gap);
    out << "<text x=\"" << axis.left - 6 << "\" y=\"" << y + strip.row_height - 4
        << "\" class=\"tick\" text-anchor=\"end\">" << escape(row.name) << "</text>";
    out << "<rect x=\"" << axis.left << "\" y=\"" << y << "\" width=\"" << axis.plot_width()
        << "\" height=\"" << strip.row_height << "\" fill=\"#f4f4f4\"/>";
    for (const auto& segment : row.segments) {
      const double x0 = axis.x(segment.start_s);
      const double x1 = axis.x(segment.end_s);
      const double width = std::max(x1 - x0, 0.6);
      out << "<rect x=\"" << px(x0) << "\" y=\"" << y << "\" width=\"" << px(width)
          << "\" height=\"" << strip.row_height << "\" fill=\"" << segment.fill << "\">";
      if (!segment.label.empty()) out << "<title>" << escape(segment.label) << "</title>";
      out << "</rect>";
      if (row.show_labels && !segment.label.empty() &&
          width > segment.label.size() * kCharWidth + 6) {
        out << "<text x=\"" << px(x0 + width / 2) << "\" y=\"" << y + strip.row_height - 4
            << "\" class=\"segment\" text-anchor=\"middle\">" << escape(segment.label) << "</text>";
      }
    }
  }
  for (const auto& tick : strip.ticks) {
    if (tick.row >= strip.rows.size()) continue;
    const int y = top + static_cast<int>(tick.row) * (strip.row_height + gap);
    const double x = axis.x(tick.time_s);
    const double half = strip.row_height / 2.0;
    out << "<path d=\"M" << px(x) << " " << y << "L" << px(x + half * 0.7) << " " << px(y + half)
        << "L" << px(x) << " " << y + strip.row_height << "L" << px(x - half * 0.7) << " "
        << px(y + half) << "Z\" fill=\"" << tick.colour
        << "\" stroke=\"#333\" stroke-width=\"0.5\"><title>" << escape(tick.title)
        << "</title></path>";
  }
  // Marker numbers above the rows, where they hide nothing.
  std::vector<Marker> unlabelled = strip.markers;
  for (auto& marker : unlabelled) {
    out << "<text x=\"" << px(axis.x(marker.time_s)) << "\" y=\"" << top - 3
        << "\" class=\"marker\" text-anchor=\"middle\" fill=\"" << marker.colour << "\">"
        << escape(marker.label) << "</text>";
    marker.label.clear();
  }
  draw_markers(axis, unlabelled, top, rows_height, out);
  out << "</svg>";
  return out.str();
}

std::string stripe_patterns(const std::vector<std::pair<std::string, std::string>>& colours) {
  std::ostringstream out;
  out << "<defs>";
  for (const auto& [name, colour] : colours) {
    out << "<pattern id=\"flash-" << escape(name)
        << "\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
           "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
           "<rect width=\"3\" height=\"6\" fill=\""
        << colour << "\"/></pattern>";
  }
  out << "</defs>";
  return out.str();
}

}  // namespace bts::app::svg
