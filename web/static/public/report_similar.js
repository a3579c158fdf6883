// While a resident types, the report form shows the open reports nearby that likely describe
// the same problem (issue 16). Without JavaScript the server asks the same question after the
// first "Send report". The codes shown are sent with the form (#seen): the server does not ask
// again about reports the resident has already seen here.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var panel = document.getElementById("similar-live");
  var seen = document.getElementById("seen");
  if (!form || !panel || !seen || document.getElementById("similar")) { return; }
  var list = panel.querySelector(".similar-list");
  var fields = ["description", "area_id", "address", "latitude", "longitude"];
  var timer = null;
  var asked = "";

  function query() {
    var params = [];
    fields.forEach(function (name) {
      var field = document.getElementById(name);
      var value = field ? field.value.trim() : "";
      if (name === "description") { value = value.slice(0, 2000); }
      params.push(name === "description" ? "text=" + encodeURIComponent(value)
                                         : name + "=" + encodeURIComponent(value));
    });
    params.push("lang=" + encodeURIComponent(document.documentElement.lang || "vi"));
    return params.join("&");
  }

  function show(reports) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var lang = encodeURIComponent(document.documentElement.lang || "vi");
    reports.forEach(function (report) {
      var item = document.createElement("li");
      item.setAttribute("data-code", report.code);
      var head = document.createElement("p");
      head.className = "similar-head";
      var code = document.createElement("a");
      code.className = "code";
      code.href = "/status/" + encodeURIComponent(report.code) + "?lang=" + lang;
      code.textContent = report.display_code;
      head.appendChild(code);
      var rest = [report.state_label, report.category, report.area].filter(Boolean);
      head.appendChild(document.createTextNode(" · " + rest.join(" · ")));
      var text = document.createElement("p");
      text.className = "similar-text";
      text.textContent = report.description;
      var follow = document.createElement("a");
      follow.className = "button follow";
      follow.href = code.href;
      follow.textContent = panel.getAttribute("data-follow");
      item.appendChild(head);
      item.appendChild(text);
      item.appendChild(follow);
      list.appendChild(item);
    });
    panel.hidden = reports.length === 0;
    seen.value = reports.map(function (report) { return report.code; }).join(",");
  }

  function look() {
    var description = document.getElementById("description");
    if (!description || description.value.trim().length < 10) { return; }
    var wanted = query();
    if (wanted === asked) { return; }
    asked = wanted;
    fetch("/report/similar?" + wanted, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && wanted === asked) { show(answer.reports || []); }
      })
      .catch(function () { /* the server asks when the form is sent */ });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(look, 800);
  }

  fields.forEach(function (name) {
    var field = document.getElementById(name);
    if (!field) { return; }
    field.addEventListener("input", later);
    field.addEventListener("change", later);
    field.addEventListener("blur", look);
  });
}());
