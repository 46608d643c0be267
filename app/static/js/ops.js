/* 运维控制台 (/ops): the site's Content-Security-Policy runs no inline handler, so the 批量操作 links
   (templates/ops/actions.html: data-ops-action="name") are bound here to Flask-Admin's modelActions. */
(function () {
  "use strict";
  // Flask-Admin's "javascript:void(0)" links are href="#" here (the policy blocks javascript: URLs): never navigate
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href='#']") : null;
    if (link) { event.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var links = document.querySelectorAll("a[data-ops-action]");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        if (window.modelActions) { window.modelActions.execute(link.getAttribute("data-ops-action")); }
      });
    });
  });
}());
