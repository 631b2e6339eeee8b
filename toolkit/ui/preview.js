// Live reload: the server sends the build number now and after every build; a new number
// reloads the page, which the server renders again, error or not. Everything else works
// without this script.
(function () {
  "use strict";
  var current = document.body.getAttribute("data-generation");
  var retry = 500;
  function connect() {
    var source = new EventSource("/events");
    source.addEventListener("build", function (event) {
      retry = 500;
      var data = JSON.parse(event.data);
      if (String(data.generation) !== current) {
        source.close();
        window.location.reload();
      }
    });
    source.onerror = function () {
      source.close();
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }
  connect();
})();
