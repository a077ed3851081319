// Remember the browser's time zone so pages can show times in it when the user has not chosen one.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* old browser: times stay in UTC */ }
})();

// Countdowns: <span data-deadline="ISO-8601">…</span> shows the time left and turns red when overdue.
(function () {
  var labels = document.documentElement.dataset;
  function render(el) {
    var ms = Date.parse(el.dataset.deadline) - Date.now();
    var overdue = ms <= 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var text = d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + m + "m" : m + "m " + (s % 60) + "s";
    el.textContent = overdue ? (labels.overdueLabel || "overdue") + " " + text : text + " " + (labels.leftLabel || "left");
    el.classList.toggle("text-danger", overdue || ms < 15 * 60 * 1000);
  }
  function tick() { document.querySelectorAll("[data-deadline]").forEach(render); }
  tick();
  setInterval(tick, 1000);
})();

// A secret shown once (token, invitation link): copy it with one click.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy-target"));
  field.select();
  var done = function () { button.textContent = button.getAttribute("data-copied-label") || button.textContent; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// Forms that do something drastic ask first (data-confirm="question").
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});

// No inline handlers (the Content-Security-Policy allows scripts from files only):
// <select data-autosubmit> submits its form when changed; <input data-select-on-focus> selects its text.
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("[data-autosubmit]") && event.target.form) {
    event.target.form.submit();
  }
});
document.addEventListener("focusin", function (event) {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) { event.target.select(); }
});
