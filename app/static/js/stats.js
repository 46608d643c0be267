// 常用统计: draws the statistic of the page (the JSON in #stats-data) with Apache ECharts — bars or a pie for one
// dimension, stacked bars for two. Clicking a bar or a slice opens the staff behind it (the link of the row or the
// cell, the same as the table's). 保存图片 saves the chart as PNG; 打印 prints the page (print stylesheet).
(function () {
  var holder = document.getElementById("stats-chart");
  var source = document.getElementById("stats-data");
  if (!holder || !source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var kind = data.chart === "pie" && !data.cols ? "pie" : "bar";
  var chart = echarts.init(holder, null, { locale: "ZH", renderer: "canvas" });
  window.statsChart = chart; // for the browser test's pixel positions (convertToPixel)
  var COLORS = ["#3b7dd8", "#f0a04b", "#5bb98c", "#d9534f", "#8e6bbf", "#47b8c9", "#c9a227", "#e377c2",
                "#7f7f7f", "#9acd32", "#1f4e79", "#b5651d"];

  function shortLabel(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function toolbox() {
    return { right: 10, top: 0, feature: { saveAsImage: { title: "保存为图片", name: data.title, pixelRatio: 2,
                                                           backgroundColor: "#fff" } } };
  }

  function barOption() {
    var labels = data.rows.map(function (r) { return r.label; });
    var horizontal = labels.length > 10; // many rows: bars across, names readable on the left
    var category = {
      type: "category", data: labels, inverse: horizontal,
      axisLabel: { interval: 0, fontSize: 12, rotate: !horizontal && labels.length > 6 ? 30 : 0,
                   formatter: function (v) { return shortLabel(v, horizontal ? 14 : 10); } },
    };
    var value = { type: "value", minInterval: 1 };
    var series;
    if (data.cols) {
      series = data.cols.map(function (col, j) {
        return { name: col.label, type: "bar", stack: "total", barMaxWidth: 48, emphasis: { focus: "series" },
                 data: data.rows.map(function (row, i) { var cell = data.cells[i][j];
                                                         return { value: cell.n, url: cell.url }; }) };
      });
    } else {
      series = [{ name: "人数", type: "bar", barMaxWidth: 48, itemStyle: { color: COLORS[0] },
                  label: { show: true, position: horizontal ? "right" : "top" },
                  data: data.rows.map(function (row) { return { value: row.total, url: row.url }; }) }];
    }
    return {
      color: COLORS,
      title: { text: data.title + "（人）", left: 10, top: 4, textStyle: { fontSize: 15 } },
      toolbox: toolbox(),
      tooltip: { trigger: data.cols ? "axis" : "item", axisPointer: { type: "shadow" } },
      legend: data.cols ? { type: "scroll", top: 30, left: 10, right: 40 } : undefined,
      grid: { left: horizontal ? 150 : 30, right: 40, top: data.cols ? 70 : 50, bottom: 20,
              containLabel: !horizontal },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series,
    };
  }

  function pieOption() {
    return {
      color: COLORS,
      title: { text: data.title, left: 10, top: 4, textStyle: { fontSize: 15 } },
      toolbox: toolbox(),
      tooltip: { trigger: "item", formatter: "{b}：{c} 人（{d}%）" },
      legend: { type: "scroll", orient: "vertical", right: 10, top: 40, bottom: 10 },
      series: [{ name: data.rowLabel, type: "pie", radius: ["0%", "62%"], center: ["40%", "55%"],
                 label: { formatter: "{b}\n{c} 人（{d}%）", fontSize: 12 },
                 data: data.rows.map(function (row) { return { name: row.label, value: row.total, url: row.url }; }) }],
    };
  }

  function draw() {
    chart.clear();
    chart.setOption(kind === "pie" ? pieOption() : barOption());
  }

  chart.on("click", function (params) {
    if (params.data && params.data.url) window.location.href = params.data.url;
  });
  draw();

  document.querySelectorAll(".chart-switch").forEach(function (button) {
    button.addEventListener("click", function () {
      kind = button.getAttribute("data-chart");
      document.querySelectorAll(".chart-switch").forEach(function (b) {
        var on = b === button;
        b.classList.toggle("active", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
      var hidden = document.getElementById("chart-kind");
      if (hidden) hidden.value = kind;
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("chart", kind);
        window.history.replaceState(null, "", url.toString());
      }
      draw();
    });
  });

  var save = document.getElementById("stats-save");
  if (save) {
    save.addEventListener("click", function () {
      var link = document.createElement("a");
      link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff",
                                     excludeComponents: ["toolbox"] });
      link.download = data.title + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }
  var print = document.getElementById("stats-print");
  if (print) print.addEventListener("click", function () { window.print(); });
  window.addEventListener("resize", function () { chart.resize(); });
  if (window.matchMedia) {
    var media = window.matchMedia("print");
    var onChange = function () { chart.resize(); };
    if (media.addEventListener) media.addEventListener("change", onChange);
  }
  window.addEventListener("beforeprint", function () { chart.resize({ width: 700 }); });
  window.addEventListener("afterprint", function () { chart.resize(); });
})();
