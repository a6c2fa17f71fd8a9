(function () {
  var form = document.getElementById("signing-form"), sent = false;
  function started() {
    if (sent) return; sent = true;
    fetch(form.dataset.startedUrl, {method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value}});
  }
  form.addEventListener("input", started, {once: true});
  form.addEventListener("change", started, {once: true});
})();
