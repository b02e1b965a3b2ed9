// The call-back queue refreshes its rows every few seconds, so two counsellors see the same
// truth (who claimed what) without reloading the page and losing their place.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  var url = queue.getAttribute("data-rows-url");
  var seconds = parseInt(queue.getAttribute("data-poll-seconds"), 10) || 5;
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) { queue.innerHTML = html; queue.removeAttribute("data-stale"); })
      .catch(function () { queue.setAttribute("data-stale", "true"); })
      .then(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);
})();
