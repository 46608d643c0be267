// Permission tree: 父子联动 (a parent ticks/clears all below it; a partly ticked parent is indeterminate),
// expand/collapse per node. Real checkboxes with labels, so keyboard and screen readers work as usual.
(function () {
  var form = document.getElementById("permission-tree-form");
  if (!form) return;

  function leaves(node) { return node.querySelectorAll("input.perm-leaf"); }

  function refresh(li) {
    var box = li.querySelector(":scope > input.perm-parent");
    if (!box) return;
    var all = leaves(li), on = 0;
    all.forEach(function (c) { if (c.checked) on++; });
    box.checked = all.length > 0 && on === all.length;
    box.indeterminate = on > 0 && on < all.length;
    box.setAttribute("aria-checked", box.indeterminate ? "mixed" : String(box.checked));
  }

  function refreshAll() {
    // deepest first, so categories see their pages' final state
    var nodes = Array.prototype.slice.call(form.querySelectorAll("li.perm-node")).reverse();
    nodes.forEach(refresh);
  }

  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.classList.contains("perm-parent")) {
      leaves(t.parentElement).forEach(function (c) { c.checked = t.checked; });
    }
    refreshAll();
  });

  function setOpen(li, open) {
    var list = li.querySelector(":scope > ul");
    var btn = li.querySelector(":scope > button.perm-toggle");
    if (!list || !btn) return;
    list.hidden = !open;
    li.setAttribute("aria-expanded", String(open));
    btn.textContent = open ? "▾" : "▸";
  }

  form.addEventListener("click", function (e) {
    var btn = e.target.closest("button.perm-toggle");
    if (btn) {
      var li = btn.parentElement;
      setOpen(li, li.getAttribute("aria-expanded") !== "true");
      return;
    }
    var all = e.target.closest("button[data-tree-all]");
    if (all) {
      form.querySelectorAll("li.perm-node").forEach(function (li) { setOpen(li, all.dataset.treeAll === "open"); });
    }
  });

  refreshAll();
})();
