// Import page: poll the job's status, move the progress bar, reload for the report when done.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "true") return;
  var url = box.dataset.statusUrl;

  function show(status) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = status[el.dataset.field];
      if (value !== undefined && value !== null) el.textContent = value;
    });
    var bar = box.querySelector("progress");
    if (bar) bar.value = status.percent;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) window.location.reload();
        else window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 500);
})();
