// Row selection for bulk forms, with "select all matching": <form data-selection data-rows=".row-select"
// data-page-box="id" data-banner="id" data-all-field="id" data-summary="id" data-all-button="id">. The hidden
// all-field goes back to its initial value ("0" or "") when the selection no longer means "all".
(function () {
  document.querySelectorAll("form[data-selection]").forEach(function (form) {
    const byId = key => document.getElementById(form.dataset[key]);
    const rows = Array.from(form.querySelectorAll(form.dataset.rows));
    const pageBox = byId("pageBox"), banner = byId("banner"), allField = byId("allField"), summary = byId("summary");
    const total = summary.dataset.total;  // written by the page in the reader's format ("1.234", "10,000+")
    const all = () => allField.value === "1";
    function update() {
      const chosen = rows.filter(r => r.checked).length;
      if (all()) {
        summary.textContent = summary.dataset.all + " " + total;
      } else {
        summary.textContent = chosen ? chosen + " " + summary.dataset.selected : summary.dataset.none;
      }
      if (banner) banner.hidden = !(chosen === rows.length && rows.length > 0) || all();
      pageBox.checked = chosen === rows.length && rows.length > 0;
    }
    pageBox.addEventListener("change", () => {
      rows.forEach(r => r.checked = pageBox.checked);
      if (!pageBox.checked) allField.value = allField.defaultValue;
      update();
    });
    rows.forEach(r => r.addEventListener("change", () => { allField.value = allField.defaultValue; update(); }));
    const button = byId("allButton");
    if (button) button.addEventListener("click", () => { allField.value = "1"; update(); });
  });
})();
