// Draws each dashboard chart from the table below it (the accessible table is the data):
// a <canvas data-chart-for="ID"> plots the columns named in the table's data-series, with the
// row headers as labels. Runs on load and after htmx swaps the dashboard's body.
(function () {
  "use strict";
  var COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

  function columnValues(table, column) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      var cell = row.cells[column];
      if (!cell || !cell.hasAttribute("data-value")) { return null; }
      return parseFloat(cell.getAttribute("data-value"));
    });
  }

  function draw(canvas) {
    if (typeof window.Chart === "undefined" || canvas.dataset.drawn) { return; }
    var table = document.getElementById(canvas.getAttribute("data-chart-for"));
    if (!table) { return; }
    var headers = table.tHead.rows[0].cells;
    var labels = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return row.cells[0].textContent.trim();
    });
    var datasets = table.getAttribute("data-series").split(",").map(function (text, i) {
      var column = parseInt(text, 10);
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: headers[column].textContent.trim(),
        data: columnValues(table, column),
        borderColor: colour,
        backgroundColor: colour,
        spanGaps: true
      };
    });
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: table.getAttribute("data-chart"),
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  function drawAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("canvas[data-chart-for]"), draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function () { drawAll(document); });
})();
