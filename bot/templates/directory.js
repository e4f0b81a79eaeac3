// Search as you type: the server renders the results (escaped) and this only swaps them in.
// Without JavaScript the box is an ordinary form and the same search runs on submit.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var results = document.getElementById("results");
  if (!box || !results || !window.fetch) { return; }
  var timer = null;
  var asked = 0;
  function search() {
    var query = box.value.trim();
    var number = ++asked;
    var params = new URLSearchParams();
    if (query) { params.set("q", query); }
    if (box.dataset.lang && box.dataset.lang !== "vi") { params.set("lang", box.dataset.lang); }
    var text = params.toString();
    fetch(box.dataset.results + (text ? "?" + text : ""), { headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || number !== asked) { return; }
        results.innerHTML = html;
        history.replaceState(null, "", "/directory" + (text ? "?" + text : ""));
      })
      .catch(function () { /* the form still works */ });
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
})();
