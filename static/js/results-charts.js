// Results charts: one bar chart per task, a bar per system with its 95% CI as whiskers.
// Data comes from the <script type="application/json" id="results-chart-data"> block the page
// renders (not executed, so the strict CSP holds). Readable without colour: target bars are solid
// and labelled "◆", reference bars hatched and labelled "◇", and every bar has its value printed.
(function () {
  "use strict";

  const INK = "#1d2330";
  const TARGET = "#1f4e8c";
  const REFERENCE = "#7a5bb5";

  function hatch(color) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const g = tile.getContext("2d");
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(0, 8); g.lineTo(8, 0);
    g.moveTo(-2, 2); g.lineTo(2, -2);
    g.moveTo(6, 10); g.lineTo(10, 6);
    g.stroke();
    return g.createPattern(tile, "repeat");
  }

  function wrap(text, width) {
    const words = String(text).split(/\s+/);
    const lines = [];
    let line = "";
    for (const word of words) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  function fmt(value, digits) {
    return value === null || value === undefined ? "n/a" : Number(value).toFixed(digits);
  }

  // Draws each bar's confidence interval and its value above it.
  const errorBars = {
    id: "concordErrorBars",
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      const y = chart.scales.y;
      chart.data.datasets.forEach((dataset, index) => {
        const meta = chart.getDatasetMeta(index);
        if (meta.hidden) return;
        meta.data.forEach((bar, i) => {
          const low = dataset.lows[i];
          const high = dataset.highs[i];
          const x = bar.x;
          ctx.save();
          ctx.strokeStyle = INK;
          ctx.lineWidth = 1.5;
          let top = bar.y;
          if (low !== null && high !== null) {
            const yLow = y.getPixelForValue(low);
            const yHigh = y.getPixelForValue(high);
            const cap = Math.max(4, Math.min(10, bar.width / 4));
            ctx.beginPath();
            ctx.moveTo(x, yLow); ctx.lineTo(x, yHigh);
            ctx.moveTo(x - cap, yLow); ctx.lineTo(x + cap, yLow);
            ctx.moveTo(x - cap, yHigh); ctx.lineTo(x + cap, yHigh);
            ctx.stroke();
            top = Math.min(top, yHigh);
          }
          ctx.fillStyle = INK;
          ctx.font = "600 12px system-ui, sans-serif";
          ctx.textAlign = "center";
          ctx.textBaseline = "bottom";
          ctx.fillText(fmt(dataset.data[i], 2), x, top - 4);
          ctx.restore();
        });
      });
    },
  };

  // Category labels that never overlap: wrapped to the width of one bar's slot; when that would
  // take more than three lines, one slanted line each instead.
  function labelsFor(canvas, points) {
    const names = points.map((p) => (p.reference ? "◇ " : "◆ ") + p.label);
    const width = (canvas.parentElement && canvas.parentElement.clientWidth) || 600;
    const perLine = Math.max(6, Math.floor(width / Math.max(1, points.length) / 7.5));
    const wrapped = names.map((name) => wrap(name, perLine));
    if (wrapped.every((lines) => lines.length <= 3)) {
      return { labels: wrapped, ticks: { color: INK, autoSkip: false, maxRotation: 0 } };
    }
    return { labels: names, ticks: { color: INK, autoSkip: false, minRotation: 30, maxRotation: 60 } };
  }

  function draw(canvas, chart) {
    const points = chart.points;
    // The y range comes with the data (`ResultsMatrix.charts`): 0-1 for proportions, else wide
    // enough for every whisker, so no interval is ever cut off.
    const axis = chart.y || { min: 0, max: 1, unit: true };
    const x = labelsFor(canvas, points);
    const config = {
      type: "bar",
      data: {
        labels: x.labels,
        datasets: [
          {
            label: chart.metric,
            data: points.map((p) => p.mean),
            lows: points.map((p) => p.low),
            highs: points.map((p) => p.high),
            backgroundColor: points.map((p) => (p.reference ? hatch(REFERENCE) : TARGET)),
            borderColor: points.map((p) => (p.reference ? REFERENCE : TARGET)),
            borderWidth: 2,
            maxBarThickness: 56,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        layout: { padding: { top: 22 } },
        scales: {
          y: axis.unit
            ? { min: 0, max: 1, ticks: { stepSize: 0.2, callback: (v) => Number(v).toFixed(1) } }
            : { min: axis.min, max: axis.max },
          x: { ticks: x.ticks },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label(item) {
                const p = points[item.dataIndex];
                const ci = p.low === null ? "no CI" : "95% CI [" + fmt(p.low, 3) + ", " + fmt(p.high, 3) + "]";
                return fmt(p.mean, 3) + " " + ci + ", n=" + p.n + (p.reference ? " (reference)" : "") + (p.partial ? ", " + p.partial : "") + (p.pinned ? ", pinned" : "");
              },
            },
          },
        },
        onClick(_event, elements) {
          if (elements.length && points[elements[0].index].url) {
            window.location.assign(points[elements[0].index].url);
          }
        },
      },
      plugins: [errorBars],
    };
    new window.Chart(canvas, config);
    canvas.dataset.drawn = String(points.length);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("results-chart-data");
    if (!source || !window.Chart) return;
    const charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas.results-chart").forEach((canvas) => {
      const chart = charts[Number(canvas.dataset.chartIndex)];
      if (chart) draw(canvas, chart);
    });
  });
})();
