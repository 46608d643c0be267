// Behaviour every page shares, declared in the markup instead of inline handlers (the Content-Security-Policy
// forbids onclick=/onsubmit=/onchange= and javascript: URLs; docs/security.md):
//   <form data-confirm="确定删除…吗？">      asks before submitting (取消 keeps the page as it is)
//   <select data-autosubmit>                 submits its form when the choice changes
//   <button data-toggle-password="id">      shows or hides the password field with that id
//   <a data-history-back>                     goes back one page (the browser keeps what was typed there)
(function () {
  "use strict";

  // FAB's dropdowns (select2) in Chinese: the ×'s tooltip ("Remove all items"), the messages of the list, and the
  // placeholder FAB's ab.js gives them ("Select a State"). The defaults are set before ab.js builds the dropdowns
  // (it does so when the page is ready; this file is read before that).
  var $ = window.jQuery;
  if ($ && $.fn && $.fn.select2 && $.fn.select2.defaults) {
    $.fn.select2.defaults.set("language", {
      removeAllItems: function () { return "清除全部"; },
      removeItem: function () { return "移除"; },
      noResults: function () { return "没有找到匹配项"; },
      searching: function () { return "正在搜索…"; },
      loadingMore: function () { return "正在加载更多…"; },
      errorLoading: function () { return "无法载入结果"; },
      inputTooShort: function (args) { return "请再输入 " + (args.minimum - args.input.length) + " 个字"; },
      inputTooLong: function (args) { return "请删掉 " + (args.input.length - args.maximum) + " 个字"; },
      maximumSelected: function (args) { return "最多只能选择 " + args.maximum + " 项"; },
      search: function () { return "搜索"; }
    });
    $(function () {  // after ab.js's handler: give its dropdowns a Chinese placeholder
      $(".my_select2").each(function () {
        var select = $(this);
        if (!select.data("select2") || select.hasClass("readonly")) return;
        select.select2({placeholder: "请选择", allowClear: true, theme: "bootstrap"});
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;  // a button may ask its own question (保存 vs 上报 in one form)
    var question = (button && button.getAttribute && button.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
      if (typeof select.form.requestSubmit === "function") { select.form.requestSubmit(); } else { select.form.submit(); }
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-history-back]")) {
      event.preventDefault();
      window.history.back();
      return;
    }
    var button = event.target.closest && event.target.closest("[data-toggle-password]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-toggle-password"));
    if (!input) return;
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", String(show));
  });
})();
