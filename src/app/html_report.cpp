#include "html_report.h"

#include "output_helpers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attn::app {
namespace {

// Attention values in the page: 4 decimals are finer than any shade the heatmap can show.
constexpr double kPageScale = 1e4;
// The input text shown at the top is cut after this many bytes (at a UTF-8 boundary).
constexpr size_t kMaxShownTextBytes = 2000;

double rounded(float value) { return std::round(static_cast<double>(value) * kPageScale) / kPageScale; }

// The JSON text made safe inside <script>: "<", ">" and "&" only occur inside JSON strings, where \u escapes
// mean the same characters, so "</script>" or "<!--" in a token cannot end or alter the script element.
std::string script_safe_json(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

std::string cut_text(const std::string& text) {
  if (text.size() <= kMaxShownTextBytes) return text;
  size_t end = kMaxShownTextBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + " \u2026";
}

// The importance ramp of the terminal view, as CSS.
std::string heat_css(double t) {
  const Rgb c = heat_color(t);
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "rgb(%d,%d,%d)", c.r, c.g, c.b);
  return buffer;
}

constexpr const char* kStyle = R"CSS(
:root { --ink: #1d2433; --muted: #5b6473; --line: #d9dee7; --accent: #2f5fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #f6f7f9; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; } h1 small { color: var(--muted); font-weight: normal; font-size: 14px; }
h2 { font-size: 17px; margin: 0 0 10px; } h3 { font-size: 14px; margin: 18px 0 8px; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
.input { color: var(--muted); margin: 0; word-wrap: break-word; }
.verdict { font-size: 26px; font-weight: 600; margin: 0 0 8px; }
.verdict .p { color: var(--muted); font-weight: normal; font-size: 18px; margin-left: 8px; }
table.probs { border-collapse: collapse; min-width: 420px; }
table.probs td { padding: 3px 10px 3px 0; white-space: nowrap; }
.bar { background: #e8ecf3; width: 260px; height: 14px; border-radius: 3px; overflow: hidden; }
.bar > div { background: var(--accent); height: 100%; }
tr.top td.name { font-weight: 600; }
.note { color: #8a5a00; margin: 8px 0 0; }
.tokens { font: 17px/2.1 ui-monospace, "DejaVu Sans Mono", monospace; margin: 0; word-wrap: break-word; }
.word { white-space: nowrap; }
.tok { padding: 2px 0; color: #111; }
.tok:first-child { padding-left: 3px; border-top-left-radius: 3px; border-bottom-left-radius: 3px; }
.tok:last-child { padding-right: 3px; border-top-right-radius: 3px; border-bottom-right-radius: 3px; }
.legend { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
.legend span { display: inline-block; width: 22px; height: 12px; vertical-align: middle; }
.controls { margin-bottom: 10px; } .controls label { margin-right: 16px; color: var(--muted); }
select { font: inherit; padding: 2px 6px; }
#heatmap-box { overflow: auto; }
#heatmap text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--ink); }
#grid { display: grid; gap: 10px; }
.thumb { text-align: center; font-size: 12px; color: var(--muted); cursor: pointer; }
.thumb canvas { display: block; margin: 0 auto 2px; border: 2px solid transparent; border-radius: 3px; }
.thumb.selected canvas { border-color: var(--accent); } .thumb.selected { color: var(--accent); font-weight: 600; }
footer { color: var(--muted); font-size: 13px; }
)CSS";

constexpr const char* kScript = R"JS(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("attn-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var state = { window: 0, layer: data.num_layers - 1, head: -1 };  // head -1: the mean over heads

  function svg(name, attributes) {
    var node = document.createElementNS(SVG, name);
    for (var key in attributes) node.setAttribute(key, attributes[key]);
    return node;
  }
  // White to deep blue, for a weight relative to the largest in the matrix.
  function shade(t) {
    t = Math.max(0, Math.min(1, t));
    return "rgb(" + Math.round(255 - 247 * t) + "," + Math.round(255 - 207 * t) + "," + Math.round(255 - 148 * t) + ")";
  }
  function matrix(w, layer, head) {
    var heads = data.windows[w].attention[layer];
    if (head >= 0) return heads[head];
    return heads[0].map(function (row, q) {
      return row.map(function (_, k) {
        var sum = 0;
        for (var h = 0; h < heads.length; ++h) sum += heads[h][q][k];
        return sum / heads.length;
      });
    });
  }
  function largest(m) {
    var top = 0;
    m.forEach(function (row) { row.forEach(function (v) { if (v > top) top = v; }); });
    return top > 0 ? top : 1;
  }
  function tokensOf(w) {
    var win = data.windows[w];
    return win.tokens || data.tokens.slice(win.start, win.start + win.length);
  }
  function headName(head) { return head < 0 ? "mean of heads" : "head " + head; }

  function drawHeatmap() {
    var box = document.getElementById("heatmap");
    while (box.firstChild) box.removeChild(box.firstChild);
    var tokens = tokensOf(state.window), n = tokens.length;
    var m = matrix(state.window, state.layer, state.head), top = largest(m);
    // Cells fill the section's width (about 1020 px) up to 30 px, and never get smaller than the labels' font.
    var cell = Math.max(12, Math.min(30, Math.floor(890 / n)));
    var font = Math.min(12, cell - 1);
    var longest = tokens.reduce(function (a, t) { return Math.max(a, t.length); }, 0);
    var margin = Math.min(130, 14 + Math.ceil(0.62 * font) * longest);
    var size = margin + n * cell + 4;
    box.setAttribute("width", size);
    box.setAttribute("height", size);
    box.setAttribute("viewBox", "0 0 " + size + " " + size);
    for (var i = 0; i < n; ++i) {
      var row = svg("text", { x: margin - 6, y: margin + i * cell + cell / 2 + font / 3, "text-anchor": "end",
                              "font-size": font });
      row.textContent = tokens[i];
      box.appendChild(row);
      var cx = margin + i * cell + cell / 2 + font / 3, cy = margin - 6;
      // Steep enough that neighbouring labels do not overlap: upright when the cells are narrow.
      var angle = cell < 20 ? -90 : -60;
      var column = svg("text", { x: cx, y: cy, transform: "rotate(" + angle + " " + cx + " " + cy + ")",
                                 "font-size": font });
      column.textContent = tokens[i];
      box.appendChild(column);
    }
    for (var q = 0; q < n; ++q) {
      for (var k = 0; k < n; ++k) {
        var rect = svg("rect", { x: margin + k * cell, y: margin + q * cell, width: cell - 1, height: cell - 1,
                                 fill: shade(m[q][k] / top), "class": "cell" });
        var title = svg("title", {});
        title.textContent = tokens[q] + " \u2192 " + tokens[k] + ": " + m[q][k].toFixed(4);
        rect.appendChild(title);
        box.appendChild(rect);
      }
    }
    box.setAttribute("data-cells", String(n * n));
    box.setAttribute("data-layer", String(state.layer));
    box.setAttribute("data-head", String(state.head));
    document.getElementById("heatmap-caption").textContent =
        "Layer " + state.layer + ", " + headName(state.head) + ": row = query token, column = key token; " +
        "darker = more attention (scaled to the largest weight, " + top.toFixed(3) + ").";
    document.querySelectorAll(".thumb").forEach(function (t) {
      t.classList.toggle("selected", Number(t.dataset.layer) === state.layer && Number(t.dataset.head) === state.head);
    });
  }

  function drawGrid() {
    var grid = document.getElementById("grid");
    while (grid.firstChild) grid.removeChild(grid.firstChild);
    grid.style.gridTemplateColumns = "repeat(" + (data.num_heads + 1) + ", minmax(0, 1fr))";
    var n = data.windows[state.window].length, px = Math.max(2, Math.floor(128 / n)), side = px * n;
    for (var layer = 0; layer < data.num_layers; ++layer) {
      for (var head = 0; head <= data.num_heads; ++head) {
        var h = head === data.num_heads ? -1 : head;
        var m = matrix(state.window, layer, h), top = largest(m);
        var thumb = document.createElement("div");
        thumb.className = "thumb";
        thumb.dataset.layer = layer;
        thumb.dataset.head = h;
        var canvas = document.createElement("canvas");
        canvas.width = side;
        canvas.height = side;
        var ctx = canvas.getContext("2d");
        for (var q = 0; q < n; ++q) {
          for (var k = 0; k < n; ++k) {
            ctx.fillStyle = shade(m[q][k] / top);
            ctx.fillRect(k * px, q * px, px, px);
          }
        }
        thumb.appendChild(canvas);
        thumb.appendChild(document.createTextNode("L" + layer + " " + (h < 0 ? "mean" : "H" + h)));
        thumb.addEventListener("click", function (event) {
          var t = event.currentTarget;
          state.layer = Number(t.dataset.layer);
          state.head = Number(t.dataset.head);
          syncControls();
          drawHeatmap();
        });
        grid.appendChild(thumb);
      }
    }
  }

  function fill(select, options, value) {
    while (select.firstChild) select.removeChild(select.firstChild);
    options.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o[0];
      option.textContent = o[1];
      select.appendChild(option);
    });
    select.value = String(value);
  }
  function syncControls() {
    document.getElementById("layer").value = String(state.layer);
    document.getElementById("head").value = String(state.head);
  }

  var windows = data.windows.map(function (w, i) {
    return [i, "tokens " + w.start + "\u2013" + (w.start + w.length - 1)];
  });
  fill(document.getElementById("window"), windows, 0);
  if (data.windows.length < 2) document.getElementById("window-control").hidden = true;
  var layers = [];
  for (var l = 0; l < data.num_layers; ++l) layers.push([l, "layer " + l]);
  fill(document.getElementById("layer"), layers, state.layer);
  var heads = [[-1, "mean of heads"]];
  for (var h = 0; h < data.num_heads; ++h) heads.push([h, "head " + h]);
  fill(document.getElementById("head"), heads, state.head);
  document.getElementById("window").addEventListener("change", function (e) {
    state.window = Number(e.target.value); drawGrid(); drawHeatmap();
  });
  document.getElementById("layer").addEventListener("change", function (e) {
    state.layer = Number(e.target.value); drawHeatmap();
  });
  document.getElementById("head").addEventListener("change", function (e) {
    state.head = Number(e.target.value); drawHeatmap();
  });
  drawGrid();
  drawHeatmap();
  document.body.setAttribute("data-rendered", "true");
})();
)JS";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_html_report(const ExplainReport& r) {
  nlohmann::json data;
  data["tokens"] = r.tokens;
  data["labels"] = r.labels;
  data["num_layers"] = r.windows.empty() ? 0 : r.windows.front().maps->num_layers;
  data["num_heads"] = r.windows.empty() ? 0 : r.windows.front().maps->num_heads;
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& window : r.windows) {
    const AttentionMaps& maps = *window.maps;
    nlohmann::json layers =
        attention_maps_json(maps, all_indices(maps.num_layers), all_indices(maps.num_heads), rounded);
    nlohmann::json entry = {{"start", window.start}, {"length", maps.length}, {"attention", std::move(layers)}};
    if (!window.tokens.empty()) entry["tokens"] = window.tokens;
    windows.push_back(std::move(entry));
  }
  data["windows"] = std::move(windows);

  const std::string label = html_escape(r.labels.at(static_cast<size_t>(r.label)));
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>attn explain: " + label + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n";
  html += "<body>\n<main>\n<header>\n<h1>attn explain <small>what the model predicted, and what it looked at</small></h1>\n";
  html += "<p class=\"input\">&ldquo;" + html_escape(cut_text(r.text)) + "&rdquo;</p>\n</header>\n";

  // The prediction, most likely label first.
  html += "<section id=\"prediction\">\n<h2>Prediction</h2>\n";
  html += "<p class=\"verdict\" id=\"label\">" + label + "<span class=\"p\">" +
          format_fixed(100.0 * r.probabilities.at(static_cast<size_t>(r.label)), 1) + "%</span></p>\n";
  html += "<table class=\"probs\">\n";
  for (const int i : ranked_labels(r.probabilities, 0)) {
    const double p = r.probabilities[i];
    html += std::string("<tr") + (i == r.label ? " class=\"top\"" : "") + "><td class=\"name\">" +
            html_escape(r.labels[i]) + "</td><td><div class=\"bar\"><div style=\"width:" + format_fixed(100.0 * p, 1) +
            "%\"></div></div></td><td>" + format_fixed(p, 4) + "</td></tr>\n";
  }
  html += "</table>\n";
  if (!r.note.empty()) html += "<p class=\"note\">" + html_escape(r.note) + "</p>\n";
  html += "</section>\n";

  // The tokens, shaded on the server side so that they show even without scripts.
  const std::vector<double> relative = relative_importance(r.importance);
  // Each word is a <span class="word"> holding its pieces, so "cried" (c ##r ##i ##ed) reads as one word.
  html += "<section id=\"importance\">\n<h2>Which tokens mattered</h2>\n<p class=\"tokens\" id=\"tokens\">";
  for (size_t i = 0; i < r.tokens.size(); ++i) {
    std::string piece = r.tokens[i];
    const std::string& prefix = r.continuation_prefix;
    const bool continuation = !prefix.empty() && i > 0 && piece.size() > prefix.size() &&
                              piece.compare(0, prefix.size(), prefix) == 0;
    if (continuation) piece.erase(0, prefix.size());
    else html += std::string(i > 0 ? "</span> " : "") + "<span class=\"word\">";
    html += "<span class=\"tok\" style=\"background-color:" + heat_css(relative[i]) + "\" data-importance=\"" +
            format_fixed(r.importance[i], 4) + "\" title=\"" + html_escape(r.tokens[i]) + ": " + format_fixed(r.importance[i], 4) +
            "\">" + html_escape(piece) + "</span>";
  }
  if (!r.tokens.empty()) html += "</span>";
  html += "</p>\n<p class=\"legend\">low ";
  for (int level = 0; level <= 8; ++level) html += "<span style=\"background:" + heat_css(level / 8.0) + "\"></span>";
  html += " high (from the least to the most important token) &mdash; importance by attention rollout (Abnar &amp; Zuidema, 2020): how much the pooled "
          "representation draws on each token through every layer, heads averaged, residual connections included. "
          "It does not depend on the label; hover a token for its value.</p>\n</section>\n";

  html += "<section id=\"attention\">\n<h2>Attention</h2>\n<div class=\"controls\">"
          "<label id=\"window-control\">Window <select id=\"window\"></select></label>"
          "<label>Layer <select id=\"layer\"></select></label>"
          "<label>Head <select id=\"head\"></select></label></div>\n"
          "<noscript><p>The heatmaps are drawn by the page's script; enable JavaScript to see them.</p></noscript>\n"
          "<div id=\"heatmap-box\"><svg id=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
          "aria-labelledby=\"heatmap-caption\"></svg></div>\n<p class=\"legend\" id=\"heatmap-caption\"></p>\n"
          "<h3>All layers and heads (click one to show it above)</h3>\n<div id=\"grid\"></div>\n</section>\n";
  html += "<footer>Made by attn from the model " + html_escape(r.model) +
          ". This page is self-contained: it loads nothing from the network.</footer>\n</main>\n";
  html += "<script type=\"application/json\" id=\"attn-data\">" + script_safe_json(data) + "</script>\n";
  html += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace attn::app
