// Live reload. The server sends the build number now and after every build, with this page
// as the new build renders it (the event stream is opened with the page's own path and
// query); this script morphs the page into it: only what differs is changed, and a frame
// whose address is the same stays and is loaded again, which is faster than making a new
// one (issue 13: replacing the main part took 13 ms, its email frame 105 ms to load again,
// against under 1 ms and 55-65 ms). The server renders every state, errors included, so the
// page recovers by itself once a file is fixed. Everything else works without this script.
(function () {
  "use strict";
  var current = document.body.getAttribute("data-generation");
  var retry = 500;

  function sameAttributes(now, next) {
    if (now.attributes.length !== next.attributes.length) { return false; }
    for (var i = 0; i < next.attributes.length; i++) {
      var a = next.attributes[i];
      if (now.getAttribute(a.name) !== a.value) { return false; }
    }
    return true;
  }

  function copyAttributes(now, next) {
    for (var i = now.attributes.length - 1; i >= 0; i--) {
      if (!next.hasAttribute(now.attributes[i].name)) { now.removeAttribute(now.attributes[i].name); }
    }
    for (var j = 0; j < next.attributes.length; j++) {
      var a = next.attributes[j];
      if (now.getAttribute(a.name) !== a.value) { now.setAttribute(a.name, a.value); }
    }
  }

  // Make *now* (in the page) look like *next* (from the new build), touching only what differs.
  function morph(now, next) {
    if (now.nodeType !== next.nodeType || now.nodeName !== next.nodeName) {
      now.replaceWith(document.importNode(next, true));
      return;
    }
    if (now.nodeType !== 1) {
      if (now.nodeValue !== next.nodeValue) { now.nodeValue = next.nodeValue; }
      return;
    }
    if (now.nodeName === "IFRAME") {
      // A new build changed what the frame shows even when its address is the same:
      // setting src again loads it again (HTML: "process the iframe attributes").
      var same = sameAttributes(now, next);
      copyAttributes(now, next);
      if (same && now.hasAttribute("src")) { now.setAttribute("src", now.getAttribute("src")); }
      return;
    }
    if (now.isEqualNode(next) && !now.querySelector("iframe")) { return; }  // a frame reloads anyway
    copyAttributes(now, next);
    var a = now.childNodes, b = next.childNodes, i;
    for (i = 0; i < b.length && i < a.length; i++) { morph(a[i], b[i]); }
    while (a.length > b.length) { now.removeChild(now.lastChild); }
    for (; i < b.length; i++) { now.appendChild(document.importNode(b[i], true)); }
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    ["aside.sidebar", "main.main"].forEach(function (selector) {
      var now = document.querySelector(selector), next = fresh.querySelector(selector);
      if (now && next) { morph(now, next); }
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
    var page = window.location.pathname + window.location.search;
    var source = new EventSource(
      "/events?page=" + encodeURIComponent(page) + "&have=" + encodeURIComponent(current)
    );
    source.addEventListener("build", function (event) {
      retry = 500;
      var data = JSON.parse(event.data);
      if (String(data.generation) === current) { return; }
      if (data.html) { swap(data.html); } else { refresh(); }
    });
    source.onerror = function () {
      source.close();
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }
  connect();
})();
