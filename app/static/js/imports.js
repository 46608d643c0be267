// Import pages: the upload drop zone (人员信息批量导入), live progress of 人员信息导入管理 (polls every 2 s), and the
// rows of 附件批量导入 (drop a JPG on a row, hover an image to delete it, department list folding).
(function () {
  "use strict";

  // A file dropped beside the drop target must not replace the page (the browser would open it).
  if (document.getElementById("import-upload") || document.getElementById("attachment-batch")) {
    ["dragover", "drop"].forEach(function (type) {
      window.addEventListener(type, function (event) { event.preventDefault(); });
    });
  }

  function formatMB(bytes) {
    if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
    return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  // ---- upload page ------------------------------------------------------------------------------------------------
  var uploadPage = document.getElementById("import-upload");
  if (uploadPage) {
    var maxBytes = parseInt(uploadPage.getAttribute("data-max-bytes"), 10);
    var maxMB = uploadPage.getAttribute("data-max-mb");
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("import-file");
    var names = document.getElementById("file-names");
    var problem = document.getElementById("file-problem");
    var form = document.getElementById("upload-form");
    var button = document.getElementById("upload-button");

    var check = function () {
      var file = input.files && input.files[0];
      var message = "";
      if (!file) {
        names.textContent = "";
      } else {
        names.textContent = "已选择：" + file.name + "（" + formatMB(file.size) + "）";
        if (file.size > maxBytes) {
          message = "文件大小 " + formatMB(file.size) + "，超过 " + maxMB + " MB 上限，请把数据分成几个文件分别导入。";
        } else if (!/\.xlsx$/i.test(file.name)) {
          message = "请上传下载的模板填写后的 .xlsx 文件（当前文件：" + file.name + "）。";
        }
      }
      problem.textContent = message;
      problem.hidden = !message;
      return !message;
    };
    input.addEventListener("change", check);
    zone.addEventListener("click", function (event) {
      if (event.target !== input && event.target.tagName !== "LABEL") input.click();
    });
    zone.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        check();
      }
    });
    form.addEventListener("submit", function (event) {
      if (!input.files || !input.files.length) {
        event.preventDefault();
        problem.textContent = "请先选择要上传的文件。";
        problem.hidden = false;
        return;
      }
      if (!check()) { event.preventDefault(); return; }
      button.disabled = true;
      button.innerHTML = '<i class="fa fa-spinner fa-spin"></i> 正在上传并导入，请稍候…';
    });
  }

  // ---- 人员信息导入管理: live progress ---------------------------------------------------------------------------
  var jobsPage = document.getElementById("import-jobs");
  if (jobsPage) {
    var statusUrl = jobsPage.getAttribute("data-status-url");
    var labels = {"排队中": "default", "导入中": "info", "已完成": "success", "部分成功": "warning", "失败": "danger"};
    var barClass = {"已完成": "progress-bar-success", "部分成功": "progress-bar-warning", "失败": "progress-bar-danger"};

    var render = function (row, s) {
      var label = row.querySelector(".job-status");
      label.className = "label label-" + (labels[s.status] || "default") + " job-status";
      label.textContent = s.status;
      var bar = row.querySelector(".progress-bar");
      bar.style.width = s.percent + "%";
      bar.setAttribute("aria-valuenow", s.percent);
      bar.className = "progress-bar " + (s.final ? (barClass[s.status] || "") : "progress-bar-striped active");
      row.querySelector(".job-progress").title = "已处理 " + s.processed + " / " + (s.total || "?") + " 行";
      var text = row.querySelector(".job-progress-text");
      if (s.total) text.textContent = s.processed + " / " + s.total + " 行（" + s.percent + "%）";
      else text.textContent = s.status === "排队中" ? "等待开始" : (s.status === "导入中" ? "正在读取文件" : "—");
      if (!s.final) return;
      row.setAttribute("data-final", "true");
      var deleteForm = row.querySelector(".job-delete-form");
      if (deleteForm) deleteForm.hidden = false;  // an ended job can be deleted
      var counts = row.querySelector(".job-counts");
      counts.classList.remove("text-muted");
      if (s.interrupted) {
        counts.textContent = "已保存 " + s.processed + " 行，未完成 " + s.failed + " 行";
      } else {
        counts.innerHTML = "新增 <b>" + s.created + "</b> · 更新 <b>" + s.updated + "</b> · 未变 <b>" + s.unchanged +
          "</b> · 跳过 <b>" + s.skipped + "</b> · 失败 <b" + (s.failed ? ' class="text-danger"' : "") + ">" + s.failed + "</b>" +
          (s.warnings ? " · 提醒 <b>" + s.warnings + "</b>" : "");
      }
      var message = row.querySelector(".job-message");
      message.textContent = s.message;
      message.classList.toggle("failed", s.status === "失败");
      var report = row.querySelector(".job-report-cell");
      report.innerHTML = "";
      if (s.report_url && jobsPage.getAttribute("data-can-download") === "true") {
        var link = document.createElement("a");
        link.className = "btn btn-danger btn-xs report-link";
        link.href = s.report_url;
        link.innerHTML = '<i class="fa fa-download"></i> 错误报告';
        report.appendChild(link);
      } else {
        report.innerHTML = '<span class="text-muted">' + (s.report_url ? "有（需导入权限）" : "无") + "</span>";
      }
    };

    var poll = function () {
      var rows = jobsPage.querySelectorAll("tr[data-job][data-final='false']");
      if (!rows.length) return;
      Array.prototype.forEach.call(rows, function (row) {
        var url = statusUrl.replace("/0/", "/" + row.getAttribute("data-job") + "/");
        fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (s) { if (s) render(row, s); })
          .catch(function () { /* keep the last figures; try again at the next tick */ });
      });
      window.setTimeout(poll, 2000);
    };
    window.setTimeout(poll, 500);

    // 删除 asks first: the form's data-confirm, handled by app.js on every page.
  }

  // ---- 附件批量导入 ----------------------------------------------------------------------------------------------
  var batch = document.getElementById("attachment-batch");
  if (batch) {
    var setKey = batch.getAttribute("data-set");
    var csrf = batch.getAttribute("data-csrf");
    var layout = document.getElementById("att-layout");
    var toggle = document.getElementById("toggle-depts");
    var folded = window.localStorage && localStorage.getItem("attachmentbatch.depts") === "folded";
    var applyFold = function () {
      layout.classList.toggle("depts-collapsed", folded);
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    };
    applyFold();
    toggle.addEventListener("click", function () {
      folded = !folded;
      if (window.localStorage) localStorage.setItem("attachmentbatch.depts", folded ? "folded" : "open");
      applyFold();
    });

    var zipInput = document.getElementById("zip-file");
    if (zipInput) {
      zipInput.addEventListener("change", function () {
        document.getElementById("zip-name").textContent = zipInput.files.length ? zipInput.files[0].name : "";
      });
    }

    var say = function (row, text, ok) {
      var box = row.querySelector(".att-message");
      box.textContent = text;
      box.className = "att-message " + (ok ? "text-success" : "text-danger");
    };

    var redraw = function (row, data) {
      var state = row.querySelector(".att-state");
      state.innerHTML = '<span class="label label-' + (data.state === "已上传" ? "success" : "default") + '"></span>';
      state.firstChild.textContent = data.state;
      var drop = row.querySelector(".att-drop");
      if (!drop) return;
      Array.prototype.forEach.call(drop.querySelectorAll(".att-thumb"), function (n) { n.remove(); });
      var hint = drop.querySelector(".hint");
      var name = row.getAttribute("data-name");
      data.images.forEach(function (img, i) {
        var wrap = document.createElement("span");
        wrap.className = "att-thumb";
        var a = document.createElement("a");
        a.href = img.url; a.target = "_blank"; a.title = img.filename;
        var im = document.createElement("img");
        im.src = img.thumb; im.alt = name + "的附件" + (i + 1);
        a.appendChild(im);
        wrap.appendChild(a);
        var del = document.createElement("button");
        del.type = "button"; del.className = "att-delete"; del.textContent = "×";
        del.title = "删除这张图片"; del.setAttribute("aria-label", "删除" + name + "的附件" + (i + 1));
        del.setAttribute("data-entry", img.entry); del.setAttribute("data-index", img.index);
        wrap.appendChild(del);
        drop.insertBefore(wrap, hint);
      });
    };

    var post = function (url, body) {
      body.append("csrf_token", csrf);
      body.append("set", setKey);
      return fetch(url, {method: "POST", body: body, credentials: "same-origin"}).then(function (r) {
        return r.json().catch(function () { return {ok: false, message: "操作失败（" + r.status + "），请刷新页面后重试"}; });
      });
    };

    var send = function (row, files) {
      var url = row.getAttribute("data-upload");
      if (!url) { say(row, "该人员还没有记录，不能上传附件", false); return; }
      var list = Array.prototype.slice.call(files);
      var next = function () {
        var file = list.shift();
        if (!file) return;
        if (!/\.jpe?g$/i.test(file.name) && file.type !== "image/jpeg") {
          say(row, "“" + file.name + "”不是 JPG 图片", false); next(); return;
        }
        if (file.size > 3 * 1024 * 1024) {
          say(row, "“" + file.name + "”大小 " + formatMB(file.size) + "，超过 3 MB 上限", false); next(); return;
        }
        say(row, "正在上传“" + file.name + "”…", true);
        var body = new FormData();
        body.append("file", file, file.name);
        post(url, body).then(function (data) {
          if (data.images) redraw(row, data);
          say(row, data.message, data.ok);
          next();
        }).catch(function () { say(row, "网络错误，上传失败，请重试", false); });
      };
      next();
    };

    var rowOf = function (node) { return node && node.closest ? node.closest("tr.att-row") : null; };
    document.addEventListener("dragover", function (event) {
      var row = rowOf(event.target);
      if (row && row.getAttribute("data-upload")) { event.preventDefault(); row.classList.add("dragging"); }
    });
    document.addEventListener("dragleave", function (event) {
      var row = rowOf(event.target);
      if (row && !row.contains(event.relatedTarget)) row.classList.remove("dragging");
    });
    document.addEventListener("drop", function (event) {
      var row = rowOf(event.target);
      if (!row) return;
      event.preventDefault();
      row.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) send(row, event.dataTransfer.files);
    });
    document.addEventListener("change", function (event) {
      if (!event.target.classList.contains("att-file")) return;
      var row = rowOf(event.target);
      send(row, event.target.files);
      event.target.value = "";
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest(".att-delete") : null;
      if (!button) return;
      var row = rowOf(button);
      if (!window.confirm("确定删除这张图片吗？")) return;
      var body = new FormData();
      body.append("entry", button.getAttribute("data-entry"));
      body.append("index", button.getAttribute("data-index"));
      post(row.getAttribute("data-delete"), body).then(function (data) {
        if (data.images) redraw(row, data);
        say(row, data.message, data.ok);
      }).catch(function () { say(row, "网络错误，删除失败，请重试", false); });
    });
  }
})();
