// Draws the report's charts from the JSON in #vajra-data with uPlot (see html.rs for the data
// and for the data-charts / data-painted signals set here).
(function () {
  "use strict";
  const HEIGHT = 300;
  const TOTAL_COLOR = "#0969da";
  const ERROR_COLOR = "#cf222e";
  const PERCENTILE_COLORS = ["#8c959f", "#57606a", "#24292f"];
  const LABEL_COLORS = ["#1a7f37", "#fb8500", "#6639ba", "#1b7c83", "#bc4c00", "#116329",
    "#953800", "#a475f9", "#4d2d00", "#57606a"];

  const body = document.body;
  const charts = [];
  let undrawn = 0;

  function fail(e) {
    const msg = document.getElementById("chart-error");
    msg.textContent = "The charts could not be drawn: " + e;
    msg.hidden = false;
    body.dataset.charts = "error: " + e;
  }

  function fixed(unit) {
    return (u, v) => (v == null ? "–" : v.toFixed(2) + unit);
  }

  function line(label, color, values, unit, opts) {
    return { series: Object.assign({ label, stroke: color, width: 1.5, value: fixed(unit) }, opts),
      values };
  }

  // Pixels of the canvas in `color` (any opacity, as antialiasing leaves them): a drawn line
  // in the chart's first colour, not just axes and grid.
  function painted(u, color) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    const { width, height } = u.ctx.canvas;
    const px = u.ctx.getImageData(0, 0, width, height).data;
    let count = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] > 0 && Math.abs(px[i] - r) < 12 && Math.abs(px[i + 1] - g) < 12 &&
          Math.abs(px[i + 2] - b) < 12) {
        count++;
      }
    }
    return count;
  }

  // Tick spacings of the time axis, seconds: never finer than the data's interval.
  const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
    21600, 43200, 86400, 172800, 604800];

  function chart(id, title, yLabel, x, step, lines) {
    const el = document.getElementById(id);
    const opts = {
      title,
      width: el.clientWidth - 16,
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [{ label: "Time" }].concat(lines.map((l) => l.series)),
      axes: [{ incrs: TIME_INCRS.filter((s) => s >= step) }, { label: yLabel, size: 64 }],
      cursor: { points: { size: 6 } },
      hooks: {
        draw: [(u) => {
          // uPlot draws after the constructor returns; "ok" once every chart has drawn.
          const first = el.dataset.painted === undefined;
          el.dataset.painted = painted(u, lines[0].series.stroke);
          if (first && --undrawn === 0) {
            body.dataset.charts = "ok";
          }
        }],
      },
    };
    undrawn++;
    charts.push({ el, plot: new uPlot(opts, [x].concat(lines.map((l) => l.values)), el) });
  }

  function draw(data) {
    const [total, ...labels] = data.series;
    const x = data.x;
    const errorPct = (s) => s.samples_per_s.map((n, i) => (n > 0 ? (s.errors_per_s[i] * 100) / n : null));
    const labelLines = (values, unit) => labels.map((s, i) =>
      line(s.label, LABEL_COLORS[i % LABEL_COLORS.length], values(s), unit));

    chart("chart-throughput", "Throughput", "requests per second", x, data.step_s, [
      line("ALL samples", TOTAL_COLOR, total.samples_per_s, "/s", { width: 2.5 }),
      line("ALL errors", ERROR_COLOR, total.errors_per_s, "/s", { width: 2 }),
    ].concat(labelLines((s) => s.samples_per_s, "/s")));

    const percentiles = (data.percentiles_ms || []).map((ms, i) =>
      line(["p90", "p95", "p99"][i] + " of run", PERCENTILE_COLORS[i], x.map(() => ms), " ms",
        { dash: [6, 4], width: 1.5 }));
    chart("chart-response-time", "Response time (mean per interval; run percentiles dashed)", "ms", x, data.step_s, [
      line("ALL mean", TOTAL_COLOR, total.avg_ms, " ms", { width: 2.5 }),
    ].concat(labelLines((s) => s.avg_ms, " ms"), percentiles));

    chart("chart-errors", "Errors", "% of samples", x, data.step_s, [
      line("ALL", ERROR_COLOR, errorPct(total), " %", { width: 2.5 }),
    ].concat(labelLines(errorPct, " %")));

    const step = data.step_s === 1 ? "second" : data.step_s + " seconds";
    document.getElementById("chart-note").textContent = "One point per " + step +
      (labels.length > 0 ? "; lines for the " + labels.length + " busiest labels." : ".");
    window.addEventListener("resize", () => charts.forEach(({ el, plot }) =>
      plot.setSize({ width: el.clientWidth - 16, height: HEIGHT })));
  }

  window.addEventListener("error", (event) => fail(event.message));
  try {
    const data = JSON.parse(document.getElementById("vajra-data").textContent);
    if (data.x.length === 0) {
      document.querySelectorAll(".chart").forEach((el) => { el.hidden = true; });
      document.getElementById("chart-note").textContent = "No samples to chart.";
      body.dataset.charts = "empty";
    } else {
      draw(data);
    }
  } catch (e) {
    fail(e);
  }
})();
