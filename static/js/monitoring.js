// 绩效通 · the round overview's chart: execution rate by department against time progress (ECharts).
(function () {
  "use strict";

  var COLOURS = { red: "#dc3545", yellow: "#f0ad4e", green: "#198754", blue: "#0b4ea2", "": "#adb5bd" };

  function draw() {
    var holder = document.getElementById("execution-chart");
    var source = document.getElementById("execution-data");
    if (!holder || !source || !window.echarts) {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.departments.length) {
      holder.textContent = "没有可统计的监控表。";
      holder.classList.add("text-muted", "small");
      return;
    }
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    var progress = data.time_progress;
    chart.setOption({
      grid: { left: 48, right: 96, top: 24, bottom: 96 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (value) { return value === null || value === undefined ? "未填报" : value + "%"; }
      },
      xAxis: { type: "category", data: data.departments, axisLabel: { rotate: 40, interval: 0 } },
      // Room above the highest bar and the time-progress line, on a round number.
      yAxis: {
        type: "value", name: "%", min: 0,
        max: function (extent) { return Math.ceil((Math.max(extent.max, progress) * 1.1) / 20) * 20; }
      },
      series: [
        {
          name: "预算执行率",
          type: "bar",
          barMaxWidth: 48,
          data: data.execution.map(function (value, index) {
            return { value: value, itemStyle: { color: COLOURS[data.lights[index]] || COLOURS[""] } };
          }),
          label: { show: data.departments.length <= 20, position: "top", formatter: "{c}%" },
          // Time progress is one number for the whole round: a dashed line across every bar.
          markLine: {
            symbol: "none",
            silent: true,
            lineStyle: { type: "dashed", color: "#495057", width: 1.5 },
            label: { position: "end", formatter: "时间进度 " + progress + "%" },
            data: [{ yAxis: progress }]
          }
        }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
