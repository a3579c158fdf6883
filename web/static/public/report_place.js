// The report form pre-selects the ward read from the description (issue 14). Without
// JavaScript nothing changes: the door reads the place when no ward is chosen. The resident can
// always choose another ward; a ward they chose themselves is never replaced.
(function () {
  "use strict";
  var description = document.getElementById("description");
  var select = document.getElementById("area_id");
  var hint = document.getElementById("place-hint");
  if (!description || !select || !hint) { return; }
  var chosenByResident = select.value !== "";
  var timer = null;
  var asked = "";

  select.addEventListener("change", function () {
    chosenByResident = select.value !== "";
    hint.hidden = true;
  });

  function read() {
    var text = description.value.trim();
    if (chosenByResident || text.length < 4 || text === asked) { return; }
    asked = text;
    var url = "/report/place?text=" + encodeURIComponent(text.slice(0, 2000)) +
      "&lang=" + encodeURIComponent(document.documentElement.lang || "vi");
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (place) {
        if (!place || chosenByResident || !place.ward_code) { return; }
        var option = select.querySelector('option[value="' + place.ward_code + '"]');
        if (!option) { return; }
        select.value = place.ward_code;
        hint.textContent = hint.getAttribute("data-template").replace("%s", option.textContent);
        hint.hidden = false;
      })
      .catch(function () { /* the door reads the place anyway */ });
  }

  description.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(read, 600);
  });
  description.addEventListener("blur", read);
}());
