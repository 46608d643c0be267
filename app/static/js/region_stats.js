// 区域管理 → 统计概览 (templates/stats/region.html): draws the page's three charts from the JSON block
// #region-stats-data with the ECharts served from app/static/vendor (no CDN); a click on a bar or slice opens what it
// stands for (a child region, an institution, the staff behind a composition figure). Each chart can be saved as a
// PNG (the toolbox). No inline handlers (Content-Security-Policy). The tables under the charts hold the same figures.
(function () {
  "use strict";
  var source = document.getElementById("region-stats-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var charts = [];
  var font = '"Microsoft YaHei", "PingFang SC", "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif';

  function draw(id, option, links) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    option.animation = false;
    option.textStyle = { fontFamily: font };
    option.toolbox = { right: 0, top: 0, feature: { saveAsImage: { title: "保存为图片", name: el.getAttribute("aria-label") || id, pixelRatio: 2 } } };
    chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
    chart.setOption(option);
    if (links) {
      chart.on("click", function (p) {
        var url = links[p.dataIndex];
        if (url) window.location.href = url;
      });
      if (links.some(function (u) { return !!u; })) el.style.cursor = "pointer";
    }
    charts.push(chart);
  }

  function axisLabel(labels) {
    return { interval: 0, rotate: labels.length > 6 ? 30 : 0, width: 110, overflow: "truncate" };
  }

  var comp = data.composition;
  if (comp && comp.labels.length) {
    if (comp.labels.length <= 8) {
      draw("chart-composition", {
        tooltip: { trigger: "item", formatter: "{b}：{c} 人（{d}%）" },
        legend: { type: "scroll", orient: "vertical", left: 0, top: 20 },
        series: [{ type: "pie", radius: ["30%", "65%"], center: ["62%", "55%"], name: comp.title,
                   label: { formatter: "{b}\n{c} 人" },
                   data: comp.labels.map(function (l, i) { return { name: l, value: comp.values[i] }; }) }]
      }, comp.links);
    } else {
      draw("chart-composition", {
        tooltip: { trigger: "axis" },
        grid: { left: 50, right: 20, bottom: 80, top: 30 },
        xAxis: { type: "category", data: comp.labels, axisLabel: axisLabel(comp.labels) },
        yAxis: { type: "value", name: "人数", minInterval: 1 },
        series: [{ type: "bar", name: "人数", data: comp.values, label: { show: true, position: "top" }, itemStyle: { color: "#5470c6" } }]
      }, comp.links);
    }
  }

  var cmp = data.comparison;
  if (cmp && cmp.labels.length) {
    // horizontal bars: institution names are long and share their beginning (武汉市江夏区…), so they are shown whole
    var el = document.getElementById("chart-comparison");
    if (el) el.style.height = Math.max(160, 70 + 30 * cmp.labels.length) + "px";
    draw("chart-comparison", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
                 formatter: function (ps) {
                   var i = ps[0].dataIndex, c = cmp.completeness[i];
                   return echarts.format.encodeHTML(cmp.labels[i]) + "<br>在岗人数：" + cmp.staff[i] + " 人<br>资料完整度：" + (c === null ? "—" : c + "%");
                 } },
      grid: { left: 10, right: 140, bottom: 10, top: 10, containLabel: true },
      xAxis: { type: "value", name: "人", minInterval: 1 },
      yAxis: { type: "category", data: cmp.labels, inverse: true, axisLabel: { width: 300, overflow: "truncate" } },
      series: [{ type: "bar", name: "在岗人数", data: cmp.staff, barMaxWidth: 22, itemStyle: { color: "#5470c6" },
                 label: { show: true, position: "right", formatter: function (p) {
                   var c = cmp.completeness[p.dataIndex];
                   return p.value + " 人　完整度 " + (c === null ? "—" : c + "%");
                 } } }]
    }, cmp.links);
  }

  var months = data.months;
  if (months && months.labels.length) {
    draw("chart-months", {
      tooltip: { trigger: "axis" },
      legend: { data: ["在岗人数", "新增", "离职"], top: 0, left: "center" },
      grid: { left: 55, right: 55, bottom: 50, top: 80 },
      xAxis: { type: "category", data: months.labels, axisLabel: { rotate: 45 } },
      yAxis: [{ type: "value", name: "在岗人数", minInterval: 1 },
              { type: "value", name: "新增 / 离职", minInterval: 1, splitLine: { show: false } }],
      series: [{ type: "line", name: "在岗人数", data: months.in_post, itemStyle: { color: "#5470c6" } },
               { type: "bar", name: "新增", yAxisIndex: 1, data: months.entered, itemStyle: { color: "#91cc75" } },
               { type: "bar", name: "离职", yAxisIndex: 1, data: months.left, itemStyle: { color: "#ee6666" } }]
    });
  }

  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
})();
