// latent/io/plot.hpp: scatter plots of 2-D points coloured by label, as PNG and as CSV.
//
// Made for the pictures of what a latent segment learned (the CSVAE swiss-roll
// figure: the projection of the means on z, and on w, coloured by label). The PNG
// has an axes box with "nice" ticks (steps of 1, 2 or 5 times a power of ten)
// labelled with latent's bitmap font, a title, axis labels and a legend; the
// range is found from the points with a margin unless given. The CSV holds the
// same points (x,y,label), for plotting elsewhere.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "latent/io/csv.hpp"
#include "latent/io/png.hpp"

namespace latent {

/// The categorical palette: 12 colours chosen to be told apart (hue and lightness both vary).
inline constexpr rgb plot_palette[12] = {
    {0, 92, 200},   {236, 104, 0},  {24, 158, 64},  {212, 32, 52},  {128, 64, 192}, {130, 84, 40},
    {232, 84, 178}, {150, 150, 150},   {172, 172, 0},  {0, 184, 204},  {0, 0, 112},   {252, 188, 8},
};

/// The colour of `label`: the palette in turn (repeating after 12); light gray for a negative label
/// (by convention an unknown one).
inline rgb label_colour(std::int32_t label) {
    if (label < 0) return {190, 190, 190};
    return plot_palette[static_cast<std::size_t>(label) % 12];
}

/// A rectangle of data coordinates: [x0, x1] × [y0, y1].
struct plot_range {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
};

/// The range of the finite points of `xy` (row-major [n, 2]) widened by `margin` times its
/// extent on each side; an axis without extent (one value) gets ±0.5 around it, and no finite
/// point at all gives [0, 1] × [0, 1].
inline plot_range auto_range(std::span<const float> xy, double margin = 0.05) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (std::size_t i = 0; i + 1 < xy.size(); i += 2) {
        if (!std::isfinite(xy[i]) || !std::isfinite(xy[i + 1])) continue;
        for (int a = 0; a < 2; ++a) {
            lo[a] = std::min(lo[a], double(xy[i + std::size_t(a)]));
            hi[a] = std::max(hi[a], double(xy[i + std::size_t(a)]));
        }
    }
    if (lo[0] > hi[0]) return {};
    for (int a = 0; a < 2; ++a) {
        const double extent = hi[a] - lo[a];
        const double pad = extent > 0 ? margin * extent : 0.5;
        lo[a] -= pad;
        hi[a] += pad;
    }
    return {lo[0], hi[0], lo[1], hi[1]};
}

/// Tick positions within [lo, hi]: multiples of a step of 1, 2 or 5 times a power of ten,
/// chosen so that about `target` intervals span the range. Empty if lo >= hi or not finite.
inline std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
    std::vector<double> out;
    if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) return out;
    const double raw = (hi - lo) / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    for (double k = std::ceil(lo / step); k * step <= hi + step * 1e-9; k += 1) {
        const double v = k * step;
        out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    }
    return out;
}

/// Text of tick value `v` for ticks `step` apart: as many decimals as the step needs
/// (0.5 → "0.5", 20 → "20"), or %g beyond 1e6 or below 1e-4.
inline std::string tick_text(double v, double step) {
    char buffer[48];
    if (std::fabs(v) >= 1e6 || (step < 1e-4 && v != 0)) {
        std::snprintf(buffer, sizeof buffer, "%.3g", v);
    } else {
        const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
        std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
    }
    return buffer;
}

/// Options of a scatter plot. Fluent: `scatter_options{}.title("z").label_names({"inner", "outer"})`.
///   width, height  canvas size in pixels (>= 120 and >= 90; default 560×420)
///   point_radius   disc radius in pixels (0 = one pixel; default 2)
///   title, x_label, y_label   texts (default none)
///   label_names    legend name of label k (default: the number k)
///   range          data rectangle shown (default: auto_range of the points)
///   text_scale     font pixel size (default 1)
class scatter_options {
public:
    scatter_options& width(int v) { width_ = v; return *this; }
    scatter_options& height(int v) { height_ = v; return *this; }
    scatter_options& point_radius(int v) { point_radius_ = v; return *this; }
    scatter_options& title(std::string v) { title_ = std::move(v); return *this; }
    scatter_options& x_label(std::string v) { x_label_ = std::move(v); return *this; }
    scatter_options& y_label(std::string v) { y_label_ = std::move(v); return *this; }
    scatter_options& label_names(std::vector<std::string> v) { label_names_ = std::move(v); return *this; }
    scatter_options& range(plot_range v) { range_ = v; return *this; }
    scatter_options& text_scale(int v) { text_scale_ = v; return *this; }

    int width() const { return width_; }
    int height() const { return height_; }
    int point_radius() const { return point_radius_; }
    const std::string& title() const { return title_; }
    const std::string& x_label() const { return x_label_; }
    const std::string& y_label() const { return y_label_; }
    const std::vector<std::string>& label_names() const { return label_names_; }
    const std::optional<plot_range>& range() const { return range_; }
    int text_scale() const { return text_scale_; }

    /// Throws config_error naming the option at fault.
    void validate() const {
        LATENT_CHECK(width_ >= 120 && width_ <= 8192 && height_ >= 90 && height_ <= 8192, config_error,
                     "scatter_options: size ", width_, "x", height_, " outside [120, 8192] x [90, 8192]");
        LATENT_CHECK(point_radius_ >= 0 && point_radius_ <= 50, config_error,
                     "scatter_options: point_radius must be in [0, 50], not ", point_radius_);
        LATENT_CHECK(text_scale_ >= 1 && text_scale_ <= 8, config_error,
                     "scatter_options: text_scale must be in [1, 8], not ", text_scale_);
        if (range_)
            LATENT_CHECK(range_->x0 < range_->x1 && range_->y0 < range_->y1 && std::isfinite(range_->x0) &&
                             std::isfinite(range_->x1) && std::isfinite(range_->y0) && std::isfinite(range_->y1),
                         config_error, "scatter_options: range [", range_->x0, ", ", range_->x1, "] x [", range_->y0,
                         ", ", range_->y1, "] is empty or not finite");
    }

private:
    int width_ = 560;
    int height_ = 420;
    int point_radius_ = 2;
    std::string title_, x_label_, y_label_;
    std::vector<std::string> label_names_;
    std::optional<plot_range> range_;
    int text_scale_ = 1;
};

/// Where a scatter plot draws: the axes box in pixels and the data range it shows.
///   px(x) = box_left + (x - x0) / (x1 - x0) · (box_right - box_left), rounded;
///   py(y) = box_bottom - (y - y0) / (y1 - y0) · (box_bottom - box_top), rounded (up is +y).
struct scatter_layout {
    plot_range range;
    int box_left = 0, box_right = 0, box_top = 0, box_bottom = 0;
    int px(double x) const {
        return box_left + static_cast<int>(std::lround((x - range.x0) / (range.x1 - range.x0) * (box_right - box_left)));
    }
    int py(double y) const {
        return box_bottom -
               static_cast<int>(std::lround((y - range.y0) / (range.y1 - range.y0) * (box_bottom - box_top)));
    }
};

namespace detail {
inline std::string legend_name(std::int32_t label, const std::vector<std::string>& names) {
    if (label >= 0 && static_cast<std::size_t>(label) < names.size()) return names[static_cast<std::size_t>(label)];
    return label < 0 ? std::string("unknown") : std::to_string(label);
}

inline void check_points(std::span<const float> xy, std::span<const std::int32_t> labels, const char* who) {
    LATENT_CHECK(xy.size() % 2 == 0, shape_error, who, ": ", xy.size(), " coordinates are not [n, 2] points");
    LATENT_CHECK(labels.size() == xy.size() / 2, shape_error, who, ": ", xy.size() / 2, " points but ", labels.size(),
                 " labels");
}
}  // namespace detail

/// The layout render_scatter uses for these points and options.
inline scatter_layout layout_scatter(std::span<const float> xy, std::span<const std::int32_t> labels,
                                     const scatter_options& o) {
    o.validate();
    const int t = o.text_scale(), line = detail::text_height(t);
    scatter_layout l;
    l.range = o.range() ? *o.range() : auto_range(xy);
    const auto yt = nice_ticks(l.range.y0, l.range.y1);
    const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
    int tick_w = 0;
    for (double v : yt) tick_w = std::max(tick_w, detail::text_width(tick_text(v, ystep), t));
    int legend_w = 0;
    std::set<std::int32_t> present(labels.begin(), labels.end());
    for (std::int32_t k : present)
        legend_w = std::max(legend_w, detail::text_width(detail::legend_name(k, o.label_names()), t));
    l.box_left = 8 + tick_w + 3 * t + 4;
    l.box_top = 8 + (o.title().empty() ? 0 : line + 6 * t) + (o.y_label().empty() ? 0 : line + 4 * t);
    l.box_right = o.width() - 10 - (present.empty() ? 0 : legend_w + line + 6 * t + 8);
    l.box_bottom = o.height() - 8 - (line + 4 + 3 * t) - (o.x_label().empty() ? 0 : line + 4 * t);
    LATENT_CHECK(l.box_right - l.box_left >= 40 && l.box_bottom - l.box_top >= 40, config_error,
                 "scatter plot: a ", o.width(), "x", o.height(),
                 " canvas leaves no room for the axes beside its texts; make it larger");
    return l;
}

/// A scatter plot of the points `xy` (row-major [n, 2]) coloured by `labels` ([n]; see
/// label_colour), drawn in input order. Points outside the range or not finite are not drawn.
/// requires: xy.size() = 2·labels.size() (shape_error); valid options (config_error).
inline image render_scatter(std::span<const float> xy, std::span<const std::int32_t> labels,
                            const scatter_options& o = {}) {
    detail::check_points(xy, labels, "render_scatter");
    const scatter_layout l = layout_scatter(xy, labels, o);
    const int t = o.text_scale(), line = detail::text_height(t);
    const rgb ink{0, 0, 0}, grid_ink{225, 225, 225};
    image img(o.width(), o.height(), 3, 255);

    const auto xt = nice_ticks(l.range.x0, l.range.x1), yt = nice_ticks(l.range.y0, l.range.y1);
    const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1, ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
    // Light grid lines at the ticks first, so that points and the box lie over them.
    for (double v : xt) detail::fill_rect(img, l.px(v), l.box_top, 1, l.box_bottom - l.box_top, grid_ink);
    for (double v : yt) detail::fill_rect(img, l.box_left, l.py(v), l.box_right - l.box_left, 1, grid_ink);

    const int r = o.point_radius();
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const double x = xy[2 * i], y = xy[2 * i + 1];
        if (!std::isfinite(x) || !std::isfinite(y) || x < l.range.x0 || x > l.range.x1 || y < l.range.y0 ||
            y > l.range.y1)
            continue;
        const int cx = l.px(x), cy = l.py(y);
        const rgb c = label_colour(labels[i]);
        for (int dy = -r; dy <= r; ++dy)
            for (int dx = -r; dx <= r; ++dx)
                if (dx * dx + dy * dy <= r * r + r) detail::put_pixel(img, cx + dx, cy + dy, c);
    }

    // The box, ticks and their labels.
    const int bw = l.box_right - l.box_left, bh = l.box_bottom - l.box_top;
    detail::fill_rect(img, l.box_left, l.box_top, bw + 1, 1, ink);
    detail::fill_rect(img, l.box_left, l.box_bottom, bw + 1, 1, ink);
    detail::fill_rect(img, l.box_left, l.box_top, 1, bh + 1, ink);
    detail::fill_rect(img, l.box_right, l.box_top, 1, bh + 1, ink);
    for (double v : xt) {
        const int x = l.px(v);
        detail::fill_rect(img, x, l.box_bottom + 1, 1, 3 * t, ink);
        const std::string s = tick_text(v, xstep);
        detail::draw_text(img, x - detail::text_width(s, t) / 2, l.box_bottom + 3 * t + 4, s, ink, t);
    }
    for (double v : yt) {
        const int y = l.py(v);
        detail::fill_rect(img, l.box_left - 3 * t, y, 3 * t, 1, ink);
        const std::string s = tick_text(v, ystep);
        detail::draw_text(img, l.box_left - 3 * t - 3 - detail::text_width(s, t), y - line / 2, s, ink, t);
    }

    // Title centred above; x label centred below the tick labels; y label above the box's left end.
    if (!o.title().empty())
        detail::draw_text(img, std::max(4, (o.width() - detail::text_width(o.title(), t)) / 2), 8, o.title(), ink, t);
    if (!o.x_label().empty())
        detail::draw_text(img, l.box_left + (bw - detail::text_width(o.x_label(), t)) / 2,
                          l.box_bottom + 3 * t + 4 + line + 4 * t, o.x_label(), ink, t);
    if (!o.y_label().empty())
        detail::draw_text(img, std::max(4, l.box_left - detail::text_width(o.y_label(), t) / 2),
                          l.box_top - line - 3 * t, o.y_label(), ink, t);

    // Legend: a colour swatch and the name of each label present, right of the box.
    const std::set<std::int32_t> present(labels.begin(), labels.end());
    int y = l.box_top;
    for (std::int32_t k : present) {
        detail::fill_rect(img, l.box_right + 8, y, line, line, label_colour(k));
        detail::draw_text(img, l.box_right + 8 + line + 4 * t, y, detail::legend_name(k, o.label_names()), ink, t);
        y += line + 4 * t;
    }
    return img;
}

/// render_scatter written as a PNG file, atomically.
inline void write_scatter_png(const std::filesystem::path& path, std::span<const float> xy,
                              std::span<const std::int32_t> labels, const scatter_options& o = {}) {
    write_png(path, render_scatter(xy, labels, o));
}

/// The points as a table with columns x, y, label (numbers written exactly; see csv_number).
inline csv_table scatter_table(std::span<const float> xy, std::span<const std::int32_t> labels) {
    detail::check_points(xy, labels, "scatter_table");
    csv_table t({"x", "y", "label"});
    for (std::size_t i = 0; i < labels.size(); ++i)
        t.add_row({csv_number(xy[2 * i]), csv_number(xy[2 * i + 1]), std::to_string(labels[i])});
    return t;
}

/// scatter_table written as a CSV file, atomically.
inline void write_scatter_csv(const std::filesystem::path& path, std::span<const float> xy,
                              std::span<const std::int32_t> labels) {
    scatter_table(xy, labels).write(path);
}

/// The points of a [n, 2] float tensor and the labels of a [n] int32 tensor as host vectors,
/// for the functions above. shape_error for other shapes.
inline std::pair<std::vector<float>, std::vector<std::int32_t>> scatter_points(const tensor<float, cpu>& xy,
                                                                               const tensor<std::int32_t, cpu>& labels) {
    LATENT_CHECK(xy.shape().rank() == 2 && xy.shape()[1] == 2 && labels.shape().rank() == 1 &&
                     labels.shape()[0] == xy.shape()[0],
                 shape_error, "scatter_points: points ", xy.shape(), " and labels ", labels.shape(),
                 " are not [n, 2] and [n]");
    return {xy.to_vector(), labels.to_vector()};
}

/// Writes both the PNG and the CSV of a [n, 2] tensor of points and their [n] labels.
inline void write_scatter(const std::filesystem::path& png_path, const std::filesystem::path& csv_path,
                          const tensor<float, cpu>& xy, const tensor<std::int32_t, cpu>& labels,
                          const scatter_options& o = {}) {
    const auto [points, ys] = scatter_points(xy, labels);
    write_scatter_png(png_path, points, ys, o);
    write_scatter_csv(csv_path, points, ys);
}

}  // namespace latent
