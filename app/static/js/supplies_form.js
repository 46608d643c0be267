// 物资 / 药械 上报 (templates/emergency/supplies_form.html): "+ 添加一行" / "+ 添加药品" add a row from its
// <template>, 删除 removes one, the rows are numbered again; choosing an item shows its 规格型号 and 计量单位 and
// makes it unavailable in the other rows (an item only once per form — the server checks it too). After warnings,
// "返回修改" hides 确认上报 and shows 上报 again. No inline handlers (Content-Security-Policy).
(function () {
  "use strict";
  var table = document.getElementById("supply-rows");
  if (!table) return;
  var body = table.tBodies[0];

  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr.supply-row")); }

  function renumber() {
    rows().forEach(function (row, i) {
      var n = i + 1;
      row.querySelector(".supply-row-number").textContent = n;
      var item = row.querySelector(".supply-item, .drug-name");
      item.id = "item-" + n;
      item.setAttribute("aria-label", "第 " + n + " 行" + (item.classList.contains("drug-name") ? "药品" : "名称"));
      var list = row.querySelector(".drug-suggestions");
      if (list) { list.id = "drug-list-" + n; item.setAttribute("aria-controls", list.id); }
      var quantity = row.querySelector(".supply-quantity");
      quantity.id = "quantity-" + n;
      quantity.setAttribute("aria-label", "第 " + n + " 行" + quantity.getAttribute("aria-label").replace(/^第 \S+ 行/, ""));
      var note = row.querySelector(".supply-note");
      note.id = "note-" + n;
      note.setAttribute("aria-label", "第 " + n + " 行备注");
      row.querySelector(".supply-remove").setAttribute("aria-label", "删除第 " + n + " 行");
    });
  }

  function showDetail(select) {
    var row = select.closest("tr");
    var option = select.options[select.selectedIndex];
    row.querySelector(".supply-spec").textContent = option ? (option.getAttribute("data-spec") || "") : "";
    row.querySelector(".supply-unit").textContent = option ? (option.getAttribute("data-unit") || "") : "";
  }

  function keepOnce() {
    var selects = Array.prototype.slice.call(body.querySelectorAll("select.supply-item"));
    var chosen = selects.map(function (s) { return s.value; });
    selects.forEach(function (select, i) {
      Array.prototype.forEach.call(select.options, function (option) {
        option.disabled = !!option.value && chosen.indexOf(option.value) !== -1 && chosen[i] !== option.value;
      });
    });
  }

  function add(templateId) {
    var template = document.getElementById(templateId);
    body.appendChild(template.content.cloneNode(true));
    renumber();
    keepOnce();
    var last = rows()[rows().length - 1];
    last.querySelector(".supply-item, .drug-name").focus();
  }

  body.addEventListener("change", function (event) {
    if (!event.target.classList.contains("supply-item")) return;
    showDetail(event.target);
    keepOnce();
  });

  body.addEventListener("click", function (event) {
    var button = event.target.closest(".supply-remove");
    if (!button) return;
    var row = button.closest("tr");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.parentNode.removeChild(row);
    if (!rows().length) { add("supply-row-template"); return; }
    renumber();
    keepOnce();
    (next || rows()[0]).querySelector(".supply-item, .drug-name").focus();
  });

  document.getElementById("supply-add-row").addEventListener("click", function () { add("supply-row-template"); });
  var addDrug = document.getElementById("supply-add-drug");
  if (addDrug) addDrug.addEventListener("click", function () { add("supply-drug-template"); });

  var back = document.getElementById("supply-back-edit");
  if (back) {
    back.addEventListener("click", function () {
      document.getElementById("supply-confirm-bar").classList.add("hidden");
      document.getElementById("supply-submit").classList.remove("hidden");
      var warned = body.querySelector(".supply-row-warning");
      var row = warned ? warned.closest("tr") : rows()[0];
      row.querySelector(".supply-quantity").focus();
    });
  }
  keepOnce();
})();
