/* ODQ web UI: progressive enhancement only (every page works without this file).
   - drag-and-drop of a file onto the upload form;
   - the progress page polls its task and moves on to the report by itself. */
(function () {
  "use strict";

  function setupDrop() {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("file");
    var hint = document.getElementById("drop-hint");
    if (!zone || !input || typeof DataTransfer === "undefined") { return; }
    if (hint) { hint.hidden = false; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      ev.preventDefault();
      if (!ev.dataTransfer || !ev.dataTransfer.files || !ev.dataTransfer.files.length) { return; }
      var dt = new DataTransfer();
      dt.items.add(ev.dataTransfer.files[0]);
      input.files = dt.files;
      if (hint) { hint.textContent = ev.dataTransfer.files[0].name; }
    });
  }

  function setupProgress() {
    var box = document.getElementById("progress");
    if (!box) { return; }
    var url = box.getAttribute("data-state-url");
    var stateEl = document.getElementById("progress-state");
    var elapsedEl = document.getElementById("progress-elapsed");
    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (task) {
          if (stateEl) { stateEl.textContent = box.getAttribute("data-label-" + task.state) || task.state; }
          if (elapsedEl) { elapsedEl.textContent = String(task.elapsed); }
          if (task.state === "done" && task.report_url) { window.location.assign(task.report_url); return; }
          if (task.state === "failed") {
            var bar = document.getElementById("progress-bar");
            if (bar) { bar.hidden = true; }
            var err = document.createElement("p");
            err.className = "error"; err.setAttribute("role", "alert"); err.id = "progress-error";
            err.textContent = task.error || "failed";
            box.appendChild(err);
            return;
          }
          window.setTimeout(poll, 700);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    poll();
  }

  function setupCatalogRun() {
    var box = document.getElementById("job");
    if (!box) { return; }
    var url = box.getAttribute("data-job-url");
    var next = box.getAttribute("data-next");
    var stateEl = document.getElementById("job-state");
    var doneEl = document.getElementById("job-done");
    var bar = document.getElementById("job-bar");
    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          var counts = job.counts || {};
          if (stateEl) { stateEl.textContent = job.status || ""; }
          if (doneEl) { doneEl.textContent = String(counts.finished || 0) + (counts.total ? " / " + counts.total : ""); }
          if (bar && counts.total) { bar.max = counts.total; bar.value = counts.finished || 0; }
          if (job.status === "done") {
            if (next) { window.location.assign(next); } else { window.location.reload(); }
            return;
          }
          if (job.status === "failed") { window.location.reload(); return; }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    poll();
  }

  function start() { setupDrop(); setupProgress(); setupCatalogRun(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
