// 人员信息管理 pages: the “至今” buttons of end dates, the 村卫生室 hint on the 基本信息 form (the server flashes the
// same warning on save), and scrolling to the section whose form was sent back with errors.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".until-now");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-target"));
    if (input) { input.value = "至今"; input.focus(); }
  });

  var hint = document.getElementById("village-hint");
  var department = document.getElementById("department_id");
  var status = document.getElementById("status");
  if (hint && department && status) {
    var refresh = function () {
      var option = department.options[department.selectedIndex];
      var village = option && option.getAttribute("data-category") === hint.getAttribute("data-village");
      hint.hidden = !(village && status.value !== hint.getAttribute("data-probation"));
    };
    department.addEventListener("change", refresh);
    status.addEventListener("change", refresh);
    refresh();
  }

  var page = document.getElementById("person-page");
  var open = page && page.getAttribute("data-open");
  if (open && !window.location.hash) {
    var section = document.getElementById("set-" + open);
    if (section) section.scrollIntoView();
  }
})();

// File inputs are drawn as a Chinese “选择…” button; show the chosen names (and a preview of a new photo).
(function () {
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("file-input")) return;
    var names = input.parentNode.querySelector(".file-names");
    var files = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    if (names) names.textContent = files.length ? "已选择：" + files.join("、") : "未选择文件";
    var preview = document.getElementById(input.getAttribute("data-preview") || "");
    if (preview && input.files && input.files[0] && window.URL) {
      var img = document.createElement("img");
      img.className = "person-photo";
      img.id = preview.id;
      img.alt = "新照片预览";
      img.src = URL.createObjectURL(input.files[0]);
      preview.replaceWith(img);
    }
  });
})();
