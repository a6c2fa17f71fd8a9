(function () {
  var form = document.getElementById("signing-form"), sent = false;
  function started() {
    if (sent) return; sent = true;
    fetch(form.dataset.startedUrl, {method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value}});
  }
  // After a refused submit, screen readers and keyboards start at the list of what to fix.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  form.addEventListener("input", started, {once: true});
  form.addEventListener("change", started, {once: true});
})();
