// 常用报表: the 打印 button prints the page (the print stylesheet, css/stat_reports.css, leaves only the report).
(function () {
  var button = document.getElementById("report-print");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
