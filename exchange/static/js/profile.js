// Partner profile: "Add a row" appends a coverage row from the <template> on the page.
(function () {
  var button = document.getElementById("add-coverage-row");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var body = document.getElementById("coverage-rows");
    var index = parseInt(body.dataset.nextIndex, 10);
    var number = body.querySelectorAll("tr").length + 1;
    var html = document.getElementById("coverage-row-template").innerHTML
      .split("__INDEX__").join(String(index)).split("__N__").join(String(number));
    body.insertAdjacentHTML("beforeend", html);
    body.dataset.nextIndex = String(index + 1);
    body.lastElementChild.querySelector("input").focus();
  });
})();
