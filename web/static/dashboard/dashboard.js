/* Draws the dashboard's charts with Chart.js (served from /static/vendor, no CDN). */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var palette = ["#b3261e", "#1d6b3a", "#2f5fa7", "#c77c02", "#6b3fa0", "#0f7c85", "#8a5a44",
                 "#5b6675", "#d4487a", "#3c8d2f", "#9c6b00", "#274060"];
  function follow(links) {
    return function (event, elements) {
      if (elements.length && links[elements[0].index]) {
        window.location.href = links[elements[0].index];
      }
    };
  }
  // every category and agency gets its label: the chart grows with its rows
  function fit(id, rows) {
    var canvas = document.getElementById(id);
    if (canvas && canvas.parentNode) { canvas.parentNode.style.height = Math.max(18, 3 + rows * 1.6) + "rem"; }
  }
  fit("chart-category", data.category.labels.length);
  fit("chart-agency", data.agency.labels.length * 1.4);
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return null; }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false,
                                     animation: false }, config.options || {});
    return new Chart(canvas, config);
  }
  window.dashboardCharts = [
    draw("chart-volume", {
      type: "line",
      data: { labels: data.volume.labels, datasets: [{ label: data.volume.label,
        data: data.volume.values, borderColor: palette[0], backgroundColor: palette[0],
        tension: 0.2, pointRadius: 2 }] },
      options: { onClick: follow(data.volume.links), plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true } } }
    }),
    draw("chart-category", {
      type: "bar",
      data: { labels: data.category.labels, datasets: [{ label: data.category.label,
        data: data.category.values, backgroundColor: palette[2] }] },
      options: { indexAxis: "y", onClick: follow(data.category.links),
                 plugins: { legend: { display: false } },
                 scales: { y: { ticks: { autoSkip: false } } } }
    }),
    draw("chart-agency", {
      type: "bar",
      data: { labels: data.agency.labels, datasets: [
        { label: data.agency.ack_label, data: data.agency.ack, backgroundColor: palette[1] },
        { label: data.agency.resolved_label, data: data.agency.resolved,
          backgroundColor: palette[3] }] },
      options: { indexAxis: "y", onClick: follow(data.agency.links),
                 scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
                           y: { ticks: { autoSkip: false } } } }
    }),
    draw("chart-channel", {
      type: "doughnut",
      data: { labels: data.channel.labels, datasets: [{ data: data.channel.values,
        backgroundColor: palette }] },
      options: { onClick: follow(data.channel.links) }
    })
  ].filter(Boolean);
})();
