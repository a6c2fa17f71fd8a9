(function () {
  const form = document.getElementById("review-form");
  const rows = Array.from(form.querySelectorAll(".review-select"));
  const pageBox = document.getElementById("review-page");
  const banner = document.getElementById("review-all-banner");
  const allField = document.getElementById("select-all-awaiting");
  const summary = document.getElementById("review-summary");
  const total = Number(summary.dataset.total);
  function update() {
    const chosen = rows.filter(r => r.checked).length;
    if (allField.value === "1") {
      summary.textContent = summary.dataset.all + " " + total.toLocaleString();
    } else {
      summary.textContent = chosen ? chosen + " " + summary.dataset.selected : summary.dataset.none;
    }
    if (banner) banner.hidden = !(chosen === rows.length && rows.length > 0) || allField.value === "1";
    pageBox.checked = chosen === rows.length && rows.length > 0;
  }
  pageBox.addEventListener("change", () => { rows.forEach(r => r.checked = pageBox.checked); if (!pageBox.checked) allField.value = ""; update(); });
  rows.forEach(r => r.addEventListener("change", () => { allField.value = ""; update(); }));
  const button = document.getElementById("review-all-button");
  if (button) button.addEventListener("click", () => { allField.value = "1"; update(); });
})();
