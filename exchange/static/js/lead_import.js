// Follow a running import: poll its progress and move the bar; reload the page when it is finished
// (or, for an upload being read, when its preview is ready).
(function () {
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "true") { return; }
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector("[role=progressbar]");
  function show(field, value) {
    var el = box.querySelector('[data-field="' + field + '"]');
    if (el && value !== null && value !== undefined) { el.textContent = value; }
  }
  function poll() {
    fetch(box.dataset.progressUrl, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (p) {
        bar.style.width = p.percent + "%";
        meter.setAttribute("aria-valuenow", p.percent);
        show("rows_done", p.rows_done);
        show("total_rows", p.total_rows);
        show("status", p.status);
        if (p.finished || p.status === "uploaded") { window.location.reload(); } else { window.setTimeout(poll, 500); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
