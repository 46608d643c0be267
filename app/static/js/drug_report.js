// 机构药品上报: the rows of the form (templates/emergency/drug_form.html). The 药品 input of a row is a combobox:
// typing asks GET /drugs/search/?q= (拼音首字母 such as amxl, or Chinese such as 阿莫) and lists the matches under
// it; ↑/↓ move, Enter chooses, Esc closes; a click chooses too. Choosing fills the row's hidden drug_code and shows
// 剂型 / 规格 / 单位. Typing again forgets the choice (the server then refuses the row by its name).
// "+ 添加药品" adds a row from the <template>; 删除 removes one. No inline handlers (Content-Security-Policy).
// The type-ahead serves any table with data-search-url whose rows are tr.drug-row (also 药械 上报, where
// js/supplies_form.js adds and removes the rows); a detail cell a table does not have is skipped.
(function () {
  "use strict";
  var DETAIL = ["dosage_form", "spec", "unit"];
  var optionSeq = 0;
  Array.prototype.forEach.call(document.querySelectorAll("table[data-search-url]"), function (table) {
    typeAhead(table, table.tBodies[0], table.getAttribute("data-search-url"));
  });
  var drugTable = document.getElementById("drug-rows");
  var template = document.getElementById("drug-row-template");
  var addButton = document.getElementById("drug-add");
  if (drugTable && template && addButton) rows(drugTable.tBodies[0]);

  function typeAhead(table, body, searchUrl) {
    function rowOf(el) { return el.closest("tr.drug-row"); }
    function listOf(row) { return row.querySelector(".drug-suggestions"); }
    function nameOf(row) { return row.querySelector(".drug-name"); }

    function close(row) {
      var list = listOf(row);
      list.hidden = true;
      list.innerHTML = "";
      nameOf(row).setAttribute("aria-expanded", "false");
      nameOf(row).removeAttribute("aria-activedescendant");
    }

    function setDetail(row, drug) {
      DETAIL.forEach(function (key) {
        var cell = row.querySelector('.drug-detail[data-key="' + key + '"]');
        if (cell) cell.textContent = drug ? (drug[key] || "") : "";
      });
    }

    function choose(row, drug) {
      nameOf(row).value = drug.name;
      row.querySelector(".drug-code").value = drug.code;
      setDetail(row, drug);
      close(row);
      var quantity = row.querySelector(".drug-quantity");
      if (quantity) quantity.focus();
    }

    function options(row) { return Array.prototype.slice.call(listOf(row).querySelectorAll(".drug-option")); }

    function activate(row, index) {
      var items = options(row);
      if (!items.length) return;
      index = (index + items.length) % items.length;
      items.forEach(function (item, i) {
        var on = i === index;
        item.classList.toggle("active", on);
        item.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          nameOf(row).setAttribute("aria-activedescendant", item.id);
          if (item.scrollIntoView) item.scrollIntoView({block: "nearest"});
        }
      });
    }

    function activeIndex(row) {
      var items = options(row);
      for (var i = 0; i < items.length; i++) if (items[i].classList.contains("active")) return i;
      return -1;
    }

    function show(row, data) {
      var list = listOf(row);
      list.innerHTML = "";
      var items = data.items || [];
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "list-group-item drug-no-hit text-muted";
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.textContent = data.message || "字典中暂无该药品";
        list.appendChild(none);
      }
      items.forEach(function (drug) {
        var li = document.createElement("li");
        li.className = "list-group-item drug-option";
        li.id = "drug-option-" + (++optionSeq);
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = [drug.name, drug.dosage_form, drug.spec, drug.unit].filter(Boolean).join("  ");
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus
        li.addEventListener("click", function () { choose(row, drug); });
        li._drug = drug;
        list.appendChild(li);
      });
      list.hidden = false;
      nameOf(row).setAttribute("aria-expanded", "true");
      if (items.length) activate(row, 0);
    }

    function lookUp(row) {
      var input = nameOf(row);
      var text = input.value.trim();
      var ticket = (row._ticket || 0) + 1;
      row._ticket = ticket;
      if (!text) { close(row); return; }
      fetch(searchUrl + "?q=" + encodeURIComponent(text), {credentials: "same-origin",
                                                           headers: {"Accept": "application/json"}})
        .then(function (resp) { if (!resp.ok) throw new Error(String(resp.status)); return resp.json(); })
        .then(function (data) {
          if (row._ticket !== ticket || document.activeElement !== input) return;  // an older answer, or left
          show(row, data);
        })
        .catch(function () {
          if (row._ticket === ticket) show(row, {items: [], message: "暂时无法查询药品字典，请稍后再试"});
        });
    }

    body.addEventListener("input", function (event) {
      if (!event.target.classList.contains("drug-name")) return;
      var row = rowOf(event.target);
      row.querySelector(".drug-code").value = "";  // typed again: no drug is chosen until one is picked
      setDetail(row, null);
      clearTimeout(row._timer);
      row._timer = setTimeout(function () { lookUp(row); }, 200);
    });

    body.addEventListener("keydown", function (event) {
      if (!event.target.classList.contains("drug-name")) return;
      var row = rowOf(event.target);
      var open = !listOf(row).hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) { lookUp(row); return; }
        activate(row, activeIndex(row) + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        event.preventDefault();  // Enter in the drug input chooses; it never submits the form
        var items = options(row);
        var index = activeIndex(row);
        if (open && index >= 0) choose(row, items[index]._drug);
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(row); }
      }
    });

    body.addEventListener("focusout", function (event) {
      if (event.target.classList.contains("drug-name")) close(rowOf(event.target));
    });

  }  // typeAhead

  function rows(body) {
    function rowOf(el) { return el.closest("tr.drug-row"); }
    function nameOf(row) { return row.querySelector(".drug-name"); }
    function listOf(row) { return row.querySelector(".drug-suggestions"); }
    function renumber() {
      Array.prototype.forEach.call(body.querySelectorAll("tr.drug-row"), function (row, i) {
        var n = i + 1;
        row.querySelector(".drug-row-number").textContent = n;
        var name = nameOf(row);
        name.id = "drug_name-" + n;
        name.setAttribute("aria-label", "第 " + n + " 行药品");
        name.setAttribute("aria-controls", "drug-list-" + n);
        listOf(row).id = "drug-list-" + n;
        var quantity = row.querySelector(".drug-quantity");
        quantity.id = "quantity-" + n;
        quantity.setAttribute("aria-label", "第 " + n + " 行库存数量");
        row.querySelector(".drug-remove").setAttribute("aria-label", "删除第 " + n + " 行");
      });
    }

    body.addEventListener("click", function (event) {
      var button = event.target.closest(".drug-remove");
      if (!button) return;
      var row = rowOf(button);
      var next = row.nextElementSibling || row.previousElementSibling;
      row.parentNode.removeChild(row);
      renumber();
      (next ? nameOf(next) : addButton).focus();
    });

    addButton.addEventListener("click", function () {
      var fragment = template.content.cloneNode(true);
      body.appendChild(fragment);
      renumber();
      var rows = body.querySelectorAll("tr.drug-row");
      nameOf(rows[rows.length - 1]).focus();
    });
  }  // rows
})();
