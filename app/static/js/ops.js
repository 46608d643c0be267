/* 运维控制台 (/ops). The site's Content-Security-Policy runs no inline handler, no javascript: URL and no eval, so:
   - the 批量操作 links (templates/ops/actions.html: data-ops-action="name") are bound to Flask-Admin's modelActions;
   - Flask-Admin's javascript:void(0) links become href="#" and never navigate;
   - the list's inline edit (cells data-role="ops-inline", app/ops/base.py InlineEditWidget) is done here instead of
     by x-editable: click a cell, change the value, 保存 posts to the view's ajax/update with the row's CSRF token. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href='#']") : null;
    if (link) { event.preventDefault(); }
  });

  function editor(cell) {
    var kind = cell.getAttribute("data-ops-type");
    var input;
    if (kind === "boolean") {
      input = document.createElement("select");
      [["1", "是"], ["", "否"]].forEach(function (pair) {
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = pair[1];
        input.appendChild(option);
      });
      input.value = cell.getAttribute("data-value") ? "1" : "";
    } else {
      input = document.createElement("input");
      input.type = kind === "number" ? "number" : "text";
      input.value = cell.getAttribute("data-value") || "";
    }
    input.className = "form-control form-control-sm d-inline-block w-auto ops-inline-input";
    input.name = cell.getAttribute("name");
    return input;
  }

  function openEditor(cell) {
    if (cell.getAttribute("data-editing")) { return; }
    cell.setAttribute("data-editing", "1");
    var box = document.createElement("span");
    box.className = "ops-inline-editor";
    var input = editor(cell);
    var save = document.createElement("button");
    save.type = "button";
    save.className = "btn btn-primary btn-sm ml-1";
    save.textContent = "保存";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-secondary btn-sm ml-1";
    cancel.textContent = "取消";
    var message = document.createElement("span");
    message.className = "text-danger small ml-1 ops-inline-error";
    box.appendChild(input);
    box.appendChild(save);
    box.appendChild(cancel);
    box.appendChild(message);
    cell.style.display = "none";
    cell.parentNode.insertBefore(box, cell.nextSibling);
    input.focus();

    function close() {
      box.parentNode.removeChild(box);
      cell.style.display = "";
      cell.removeAttribute("data-editing");
    }

    function submit() {
      var data = new FormData();
      data.append("list_form_pk", cell.getAttribute("data-pk"));
      data.append(input.name, input.value);
      data.append("csrf_token", cell.getAttribute("data-csrf"));
      save.disabled = true;
      fetch(cell.getAttribute("data-url"), {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) {
          return response.text().then(function (text) { return {ok: response.ok, text: text}; });
        })
        .then(function (result) {
          save.disabled = false;
          if (!result.ok) {
            message.textContent = result.text.replace(/<[^>]*>/g, "").trim().slice(0, 200) || "保存失败";
            return;
          }
          cell.setAttribute("data-value", input.value);
          cell.textContent = input.tagName === "SELECT" ? input.options[input.selectedIndex].text : input.value;
          cell.classList.add("ops-inline-saved");
          close();
        })
        .catch(function () {
          save.disabled = false;
          message.textContent = "网络错误，未保存";
        });
    }

    save.addEventListener("click", submit);
    cancel.addEventListener("click", close);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); submit(); }
      if (event.key === "Escape") { close(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("a[href^='javascript:']"), function (link) {
      link.setAttribute("href", "#");
    });
    Array.prototype.forEach.call(document.querySelectorAll("a[data-ops-action]"), function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        if (window.modelActions) { window.modelActions.execute(link.getAttribute("data-ops-action")); }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("a[data-role='ops-inline']"), function (cell) {
      cell.addEventListener("click", function (event) {
        event.preventDefault();
        openEditor(cell);
      });
    });
  });
}());
