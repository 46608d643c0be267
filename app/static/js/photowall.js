// 人员信息查询 (photo wall) and 人员标签管理 (member picker). Each part runs only if its page elements exist.
(function () {
  // ---- photo wall: the 科室列表 toggle (remembered in this browser) -------------------------------------------------
  var toggle = document.getElementById("dept-toggle");
  var panel = document.getElementById("dept-panel");
  var KEY = "photowall.departments.hidden";
  function showPanel(visible) {
    panel.hidden = !visible;
    toggle.setAttribute("aria-expanded", String(visible));
    var icon = document.getElementById("dept-toggle-icon");
    if (icon) icon.className = "fa " + (visible ? "fa-angle-double-left" : "fa-angle-double-right");
    try { window.localStorage.setItem(KEY, visible ? "0" : "1"); } catch (e) { /* private mode: not remembered */ }
  }
  if (toggle && panel) {
    var hidden = false;
    try { hidden = window.localStorage.getItem(KEY) === "1"; } catch (e) { hidden = false; }
    showPanel(!hidden);
    toggle.addEventListener("click", function () { showPanel(panel.hidden); });
  }

  // ---- photo wall: double-click a card, or Enter on a focused card, opens the person's detail page ----------------
  var wall = document.getElementById("photo-wall");
  if (wall) {
    var open = function (card) {
      if (card && card.getAttribute("data-href")) window.location.href = card.getAttribute("data-href");
    };
    wall.addEventListener("dblclick", function (event) {
      open(event.target.closest(".wall-card"));
    });
    wall.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.classList.contains("wall-card")) {
        event.preventDefault();
        open(event.target);
      }
    });
  }

  // ---- key groups: filter the member checkboxes by typed text; count the ticked ones ------------------------------
  var filter = document.getElementById("member-filter");
  var list = document.getElementById("member-list");
  if (filter && list) {
    var items = Array.prototype.slice.call(list.querySelectorAll(".member-item"));
    var chosenOnly = document.getElementById("member-chosen-only");
    var count = document.getElementById("member-count");
    var shown = document.getElementById("member-shown");
    var empty = document.getElementById("member-empty");
    var refresh = function () {
      var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var visible = 0;
      var ticked = 0;
      items.forEach(function (item) {
        var box = item.querySelector("input[type=checkbox]");
        if (box.checked) ticked += 1;
        var text = (item.getAttribute("data-search") || item.textContent).toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        if (chosenOnly && chosenOnly.checked && !box.checked) match = false;
        item.hidden = !match;
        if (match) visible += 1;
      });
      if (count) count.textContent = String(ticked);
      if (shown) shown.textContent = String(visible);
      if (empty) empty.hidden = visible !== 0;
    };
    filter.addEventListener("input", refresh);
    list.addEventListener("change", refresh);
    if (chosenOnly) chosenOnly.addEventListener("change", refresh);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();  // Enter in the filter must not submit the form
    });
    refresh();
  }

  // Forms that ask first (封存, 删除) carry data-confirm; app.js asks, on every page.
})();
