// The import page while a file is checked or imported: asks the server for the job's
// progress every second and shows it; when the job moves on, reloads the page to show the
// report or the result. No inline script: the Content-Security-Policy allows none.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var text = document.getElementById("progress-text");
  var status = box.getAttribute("data-status");

  function show(job) {
    if (job.status !== status) {
      window.location.reload();
      return;
    }
    text.textContent = job.text;
    if (job.total && job.done) {
      bar.max = job.total;
      bar.value = job.done;
    } else {
      bar.removeAttribute("value");  // no count yet (SQLite while it stores): a bar that moves without one
    }
    window.setTimeout(poll, 1000);
  }

  function poll() {
    fetch(box.getAttribute("data-progress-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(show)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
}());
