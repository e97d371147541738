/* The evidence import: upload with a progress bar (XMLHttpRequest upload progress); without JavaScript
   the form posts as usual. A static file, so that the Content-Security-Policy allows no inline script. */
(function () {
  var form = document.getElementById("evidence-upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) { return; }  /* let the server say what is missing */
    event.preventDefault();
    var box = form.querySelector(".progress"), bar = box.querySelector("progress"), text = box.querySelector(".progress-text");
    var button = form.querySelector("button[type=submit]");
    box.hidden = false; button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round(e.loaded * 100 / e.total);
        bar.value = percent; bar.textContent = percent + "%"; text.textContent = percent + "%";
      }
    });
    xhr.upload.addEventListener("load", function () { bar.value = 100; text.textContent = form.dataset.uploaded; });
    xhr.addEventListener("load", function () {
      document.open(); document.write(xhr.responseText); document.close();
    });
    xhr.addEventListener("error", function () {
      button.disabled = false; text.textContent = form.dataset.failed;
    });
    xhr.send(new FormData(form));
  });
})();
