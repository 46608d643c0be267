// 员工离职/新增: the person picker. Searches the server (工号, 姓名, 证件号码, 拼音首字母) and fills the read-only card.
(function () {
  var search = document.getElementById("person-search");
  var button = document.getElementById("person-search-button");
  var results = document.getElementById("person-results");
  var hidden = document.getElementById("person_id");
  if (!search || !results || !hidden) return;
  var KEYS = ["staff_no", "name", "sex", "id_number", "department", "post", "status", "work_start", "establishment"];

  function fill(person) {
    hidden.value = person.id;
    KEYS.forEach(function (key) {
      var cell = document.querySelector('#person-card [data-key="' + key + '"]');
      if (cell) cell.textContent = person[key] || "";
    });
    results.innerHTML = "";
  }

  function show(items) {
    results.innerHTML = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "list-group-item";
      none.textContent = "没有找到符合条件的在职人员";
      results.appendChild(none);
      return;
    }
    items.forEach(function (person) {
      var li = document.createElement("li");
      li.className = "list-group-item";
      var a = document.createElement("a");
      a.href = "#";
      a.className = "person-pick";
      a.textContent = [person.staff_no, person.name, person.id_number, person.department].filter(Boolean).join("  ");
      a.addEventListener("click", function (event) { event.preventDefault(); fill(person); });
      li.appendChild(a);
      results.appendChild(li);
    });
  }

  function run() {
    var url = search.getAttribute("data-url") + "?q=" + encodeURIComponent(search.value.trim());
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (data) { show(data.items || []); });
  }

  var timer = null;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 300); });
  search.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); run(); } });
  if (button) button.addEventListener("click", run);
  // text typed before this script ran (a slow page) or restored by the browser (返回): search it now
  if (search.value.trim()) run();
})();
