// 部门表单: 科室标准名称 is required only when 科室(部门)类别 is 科室(部门) (spec 3.2 说明 1); the star, the
// aria-required flag and the hint follow the category as it changes. The server checks the same rule.
(function () {
  var category = document.getElementById("category");
  var label = document.getElementById("standard_code-label");
  var select = document.getElementById("standard_code");
  var help = document.getElementById("standard_code-help");
  if (!category || !label || !select) return;

  function refresh() {
    var required = category.value === category.getAttribute("data-clinical");
    label.classList.toggle("required", required);
    select.setAttribute("aria-required", String(required));
    if (help) help.textContent = help.getAttribute(required ? "data-required-text" : "data-optional-text");
  }

  category.addEventListener("change", refresh);
  refresh();
})();
