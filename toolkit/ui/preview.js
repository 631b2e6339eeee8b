// Live reload. The server sends the build number now and after every build; on a new number
// this script fetches the page again and swaps in its sidebar and main part, which is faster
// than a reload (no stylesheet, script or event stream to set up again). The server renders
// every state, errors included, so the page recovers by itself once a file is fixed.
// Everything else works without this script.
(function () {
  "use strict";
  var current = document.body.getAttribute("data-generation");
  var retry = 500;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    ["aside.sidebar", "main.main"].forEach(function (selector) {
      var now = document.querySelector(selector), next = fresh.querySelector(selector);
      if (now && next) { now.replaceWith(next); }
    });
    document.title = fresh.title;
    current = fresh.body.getAttribute("data-generation");
    document.body.setAttribute("data-generation", current);
    document.body.setAttribute("data-updated-at", String(Date.now()));
  }

  function refresh() {
    fetch(window.location.href, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(swap)
      .catch(function () { window.location.reload(); });
  }

  function connect() {
    var source = new EventSource("/events");
    source.addEventListener("build", function (event) {
      retry = 500;
      var data = JSON.parse(event.data);
      if (String(data.generation) !== current) { refresh(); }
    });
    source.onerror = function () {
      source.close();
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }
  connect();
})();
