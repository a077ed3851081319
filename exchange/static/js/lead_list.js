// "Select all" for the bulk actions of the lead list.
(function () {
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll(".lead-select").forEach(function (box) { box.checked = all.checked; });
  });
})();
