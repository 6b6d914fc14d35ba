#pragma once
// Small inline-SVG charts for report.html: line plots against simulated time with envelopes,
// limit lines and event markers, and strips of coloured bands (lights, states). Plain SVG 1.1,
// no scripts; long series are thinned per pixel column keeping each column's extremes.
#include <string>
#include <vector>

namespace bts::app::svg {

/// Escapes text for XML content and attribute values.
std::string escape(const std::string& text);

/// The time axis shared by every chart of a report, so charts line up under each other.
struct TimeAxis {
  double start_s = 0.0;
  double end_s = 1.0;
  int width = 960;                // whole SVG width, px
  int left = 72;                  // plot area starts here
  int right = 16;                 // margin right of the plot area
  double x(double time_s) const;  // px
  int plot_width() const { return width - left - right; }
  /// Unit for tick labels: "s", "min", "h" or "d", chosen from the span.
  std::string unit() const;
  double unit_s() const;
};

struct Line {
  std::string name;
  std::string colour;
  std::vector<double> x;  // time, s
  std::vector<double> y;  // NaN breaks the line
  double width = 1.5;
  bool dashed = false;
};

/// A filled band between lo and hi (an envelope such as cell voltage min..max).
struct Band {
  std::string name;
  std::string colour;
  std::vector<double> x;
  std::vector<double> lo;
  std::vector<double> hi;
};

/// A horizontal reference line (a protection limit).
struct Level {
  std::string label;
  double y = 0.0;
  std::string colour = "#c0392b";
  /// Widen the y range to show it only when it lies near the data (within half the data's
  /// span); otherwise it is drawn only if the range holds it anyway.
  bool only_when_near = false;
};

/// A vertical marker at a time, labelled with a short text (a number referring to a table).
struct Marker {
  double time_s = 0.0;
  std::string label;
  std::string colour = "#7f8c8d";
};

struct Chart {
  std::string title;
  std::string y_unit;
  std::vector<Band> bands;
  std::vector<Line> lines;
  std::vector<Level> levels;
  std::vector<Marker> markers;
  bool y_from_zero = false;
  bool fixed_y = false;  // use y_min..y_max as given
  double y_min = 0.0;
  double y_max = 1.0;
  int plot_height = 180;
};

std::string line_chart(const TimeAxis& axis, const Chart& chart);

/// One row of a strip: segments [start, end) with a fill (colour or url(#pattern)) and an
/// optional label drawn inside when it fits.
struct Segment {
  double start_s = 0.0;
  double end_s = 0.0;
  std::string fill;
  std::string label;
};
struct StripRow {
  std::string name;
  std::vector<Segment> segments;
  bool show_labels = true;  // draw segment labels inside when they fit (always as tooltips)
};
/// A tick on a strip row: e.g. an expectation checked at a time, green or red.
struct StripTick {
  std::size_t row = 0;
  double time_s = 0.0;
  std::string colour;
  std::string title;  // tooltip
};

struct Strip {
  std::string title;
  std::vector<StripRow> rows;
  std::vector<StripTick> ticks;
  std::vector<Marker> markers;
  int row_height = 16;
};

std::string strip_chart(const TimeAxis& axis, const Strip& strip);

/// <defs> with the stripe patterns used for flashing lights: ids "flash-<name>" for each
/// (name, colour) pair. Put once in the page, inside a hidden <svg>.
std::string stripe_patterns(const std::vector<std::pair<std::string, std::string>>& colours);

}  // namespace bts::app::svg
