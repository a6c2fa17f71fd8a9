(function () {
  const form = document.getElementById("batch-form");
  const count = document.getElementById("selected-count");
  const excluded = document.getElementById("excluded-count");
  function update() {
    let selected = 0, left = 0;
    form.querySelectorAll("tbody[data-customer]").forEach(function (group) {
      const wholeCustomer = group.querySelector(".exclude-customer").checked;
      group.querySelectorAll(".exclude-invoice").forEach(function (box) {
        if (wholeCustomer || box.checked) { left += 1; } else { selected += 1; }
      });
    });
    count.textContent = selected;
    excluded.textContent = left;
  }
  form.addEventListener("change", function (event) {
    if (event.target.matches(".exclude-customer, .exclude-invoice")) update();
  });
  // A box ticked before this script ran (a slow page, or the browser restoring the form) counts too.
  if (count && excluded) update();
})();
