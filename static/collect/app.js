// Small behaviours for every page, bound by data attributes (the Content-Security-Policy forbids
// inline scripts and on…= handlers). Delegated from the document, so HTMX-swapped content works too.
(function () {
  "use strict";

  // <form data-confirm="Question?">, <button data-confirm="Question?">: ask before going on.
  // data-confirm-unless-checked="field": no question while that checkbox of the form is ticked.
  function confirmed(element) {
    const question = element.dataset.confirm;
    const unless = element.dataset.confirmUnlessChecked;
    if (unless && element.elements && element.elements[unless] && element.elements[unless].checked) return true;
    return window.confirm(question);
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.matches("form[data-confirm]") && !confirmed(form)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !confirmed(button)) event.preventDefault();
    if (event.target.closest("[data-print]")) window.print();
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const source = document.getElementById(copy.dataset.copy);
      navigator.clipboard.writeText(source.value).then(function () { copy.textContent = copy.dataset.copied; });
    }
  });

  // <select data-autosubmit>: choosing is submitting (a <noscript> button covers the rest).
  // <select data-sort-select>: the list's sort order, kept with the current filters.
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches("select[data-autosubmit]")) select.form.submit();
    if (select.matches("select[data-sort-select]")) {
      const params = new URLSearchParams(location.search);
      params.set("sort", select.value);
      params.set("page", 1);
      location.search = params.toString();
    }
  });

  // <input data-select-on-focus>: a link to copy is selected whole.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("input[data-select-on-focus]")) event.target.select();
  });

  // <span data-width="42.5">: bar widths in percent (style="" attributes are not allowed).
  function sizeBars(root) {
    root.querySelectorAll("[data-width]").forEach(function (bar) { bar.style.width = bar.dataset.width + "%"; });
    root.querySelectorAll("[data-height]").forEach(function (bar) { bar.style.height = bar.dataset.height + "%"; });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:afterSwap", function (event) { sizeBars(event.target); });
})();
