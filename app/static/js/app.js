// Behaviour every page shares, declared in the markup instead of inline handlers (the Content-Security-Policy
// forbids onclick=/onsubmit=/onchange= and javascript: URLs; docs/security.md):
//   <form data-confirm="确定删除…吗？">      asks before submitting (取消 keeps the page as it is)
//   <select data-autosubmit>                 submits its form when the choice changes
//   <button data-toggle-password="id">      shows or hides the password field with that id
//   <a data-history-back>                     goes back one page (the browser keeps what was typed there)
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
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
