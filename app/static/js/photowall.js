// 人员信息查询 (photo wall) and 人员标签管理 (member picker, searching the server). Each part runs only if its page elements exist.
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

  // ---- key groups: the member picker. Chosen members are ticked boxes named "members" in #member-chosen (what the
  // form posts); the search asks the server for one page of the institution's staff (GET, JSON) and ticking a
  // result adds that person to the chosen list, unticking (in either list) takes them out.
  var picker = document.getElementById("member-picker");
  if (picker) {
    var filter = document.getElementById("member-filter");
    var chosenList = document.getElementById("member-chosen");
    var results = document.getElementById("member-results");
    var status = document.getElementById("member-status");
    var pager = document.getElementById("member-pager");
    var pageLabel = document.getElementById("member-page");
    var prev = document.getElementById("member-prev");
    var next = document.getElementById("member-next");
    var count = document.getElementById("member-count");
    var chosenEmpty = document.getElementById("member-chosen-empty");
    var current = {q: "", page: 1, pages: 1};
    var timer = null;
    var asked = 0;

    var chosenBox = function (id) {
      return chosenList.querySelector("input[name=members][value='" + id + "']");
    };
    var refreshCount = function () {
      var n = chosenList.querySelectorAll("input[name=members]:checked").length;
      count.textContent = String(n);
      chosenEmpty.hidden = chosenList.querySelectorAll("li").length !== 0;
    };
    var describe = function (p) {
      var parts = [p.department];
      if (p.post) parts.push(p.post);
      if (p.staff_no) parts.push("工号 " + p.staff_no);
      parts.push(p.id_number);
      if (p.status !== "在岗") parts.push(p.status);
      return parts.join(" · ");
    };
    var item = function (p, name, checked) {
      var li = document.createElement("li");
      li.className = "member-item";
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = String(p.id);
      if (name) box.name = name;
      box.checked = checked;
      box.setAttribute("data-person", JSON.stringify(p));
      var extra = document.createElement("span");
      extra.className = "text-muted";
      extra.textContent = describe(p);
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + p.name));
      label.appendChild(extra);
      li.appendChild(label);
      return li;
    };
    var render = function (data) {
      results.textContent = "";
      data.items.forEach(function (p) {
        var existing = chosenBox(p.id);
        results.appendChild(item(p, null, Boolean(existing && existing.checked)));
      });
      current.page = data.page;
      current.pages = data.pages;
      status.textContent = data.notice ? data.notice
        : (data.total ? "找到 " + data.total + " 人" : "没有符合条件的在职人员");
      pager.hidden = data.pages <= 1;
      pageLabel.textContent = "第 " + data.page + " / " + data.pages + " 页";
      prev.disabled = data.page <= 1;
      next.disabled = data.page >= data.pages;
    };
    var search = function (page) {
      var q = filter.value.trim();
      current.q = q;
      var ticket = ++asked;
      status.textContent = "正在查找…";
      var url = picker.getAttribute("data-search") + "?q=" + encodeURIComponent(q) + "&page=" + page;
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (resp) {
          if (!resp.ok) throw new Error(String(resp.status));
          return resp.json();
        })
        .then(function (data) { if (ticket === asked) render(data); })
        .catch(function () { if (ticket === asked) status.textContent = "查找失败，请稍后重试"; });
    };

    filter.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(1); }, 250);
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // Enter in the search box searches, never submits the form
        event.preventDefault();
        window.clearTimeout(timer);
        search(1);
      }
    });
    document.getElementById("member-search").addEventListener("click", function () { search(1); });
    prev.addEventListener("click", function () { if (current.page > 1) search(current.page - 1); });
    next.addEventListener("click", function () { if (current.page < current.pages) search(current.page + 1); });
    results.addEventListener("change", function (event) {
      var box = event.target;
      var existing = chosenBox(box.value);
      if (box.checked) {
        if (existing) { existing.checked = true; } else {
          chosenList.appendChild(item(JSON.parse(box.getAttribute("data-person")), "members", true));
        }
      } else if (existing) {
        existing.closest("li").remove();
      }
      refreshCount();
    });
    chosenList.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.checked) {
        box.closest("li").remove();
        var shown = results.querySelector("input[value='" + box.value + "']");
        if (shown) shown.checked = false;
      }
      refreshCount();
    });
    refreshCount();
    search(1);
  }

  // Forms that ask first (封存, 删除) carry data-confirm; app.js asks, on every page.
})();
