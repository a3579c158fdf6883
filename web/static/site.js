/* Progressive enhancements for every page; each page works without them.
   Loaded from /static (the Content-Security-Policy allows no inline script): behaviour is
   attached to data- attributes, and every text shown comes translated in those attributes. */
(function () {
  "use strict";

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  /* A counter under a text box: "123 / 5000". */
  function counters() {
    each("textarea[data-counter]", function (box) {
      var out = document.getElementById(box.getAttribute("data-counter"));
      if (!out) return;
      var max = parseInt(box.getAttribute("maxlength"), 10) || 0;
      var template = out.getAttribute("data-template") || "%(count)s / %(max)s";
      function update() {
        var count = box.value.length;
        out.textContent = template.replace("%(count)s", count.toLocaleString(document.documentElement.lang)).replace("%(max)s", max.toLocaleString(document.documentElement.lang));
        out.classList.toggle("near", max && count > max * 0.9);
      }
      box.addEventListener("input", update);
      update();
    });
  }

  /* "Use my location": the browser's position fills the coordinates. */
  function locate() {
    each("button[data-locate]", function (button) {
      if (!("geolocation" in navigator)) return;
      button.hidden = false;
      var status = document.getElementById(button.getAttribute("data-status"));
      button.addEventListener("click", function () {
        var lat = document.getElementById("latitude"), lng = document.getElementById("longitude");
        if (status) status.textContent = button.getAttribute("data-working") || "";
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lng.value = position.coords.longitude.toFixed(6);
          var details = lat.closest("details");
          if (details) details.open = true;
          if (status) status.textContent = button.getAttribute("data-done") || "";
          button.disabled = false;
        }, function () {
          if (status) status.textContent = button.getAttribute("data-failed") || "";
          button.disabled = false;
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    });
  }

  /* Phone photos (3-12 MB) are shrunk in the browser before upload: at most data-max-side
     pixels on the longer side, as a JPEG. The server re-encodes whatever arrives. */
  function shrinkPhotos() {
    each("input[type=file][data-shrink]", function (input) {
      if (!window.HTMLCanvasElement || !window.DataTransfer || !window.createImageBitmap) return;
      var maxSide = parseInt(input.getAttribute("data-shrink"), 10) || 2048;
      var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
      var status = document.getElementById(input.getAttribute("data-status"));
      var form = input.form;
      var submit = form && form.querySelector("button[type=submit]");
      var busy = false;
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file || !/^image\//.test(file.type) || file.type === "image/gif") return;
        busy = true;
        if (submit) submit.disabled = true;
        if (status) status.textContent = input.getAttribute("data-working") || "";
        createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
          var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.round(bitmap.width * scale);
          canvas.height = Math.round(bitmap.height * scale);
          canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
          return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
        }).then(function (blob) {
          if (blob && blob.size < file.size) {
            var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
            var shrunk = new File([blob], name, { type: "image/jpeg" });
            var transfer = new DataTransfer();
            transfer.items.add(shrunk);
            input.files = transfer.files;
            input.setAttribute("data-shrunk", String(shrunk.size));
          }
          if (status) status.textContent = (input.getAttribute("data-done") || "").replace("%(size)s", Math.round(input.files[0].size / 1024).toLocaleString(document.documentElement.lang));
        }).catch(function () {
          if (status) status.textContent = "";
        }).then(function () {
          busy = false;
          if (submit) submit.disabled = false;
          if (maxBytes && input.files[0] && input.files[0].size > maxBytes) {
            if (status) status.textContent = input.getAttribute("data-too-large") || "";
            input.value = "";
          }
        });
      });
      if (form) form.addEventListener("submit", function (event) { if (busy) event.preventDefault(); });
    });
  }

  /* Forms that change something for good ask first. */
  function confirmations() {
    each("form[data-confirm]", function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  /* Tables with sortable columns: a button in each header cell. */
  function sortableTables() {
    each("table[data-sortable]", function (table) {
      var headers = table.querySelectorAll("thead th");
      Array.prototype.forEach.call(headers, function (th, column) {
        if (th.hasAttribute("data-nosort")) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        button.textContent = th.textContent;
        th.textContent = "";
        th.appendChild(button);
        button.addEventListener("click", function () {
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = a.cells[column], y = b.cells[column];
            var kx = x ? (x.getAttribute("data-sort") || x.textContent.trim()) : "";
            var ky = y ? (y.getAttribute("data-sort") || y.textContent.trim()) : "";
            var nx = parseFloat(kx), ny = parseFloat(ky);
            var order = (!isNaN(nx) && !isNaN(ny) && String(nx) === kx && String(ny) === ky) ? nx - ny : kx.localeCompare(ky, document.documentElement.lang);
            return ascending ? order : -order;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
  }

  function start() {
    counters();
    locate();
    shrinkPhotos();
    confirmations();
    sortableTables();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
