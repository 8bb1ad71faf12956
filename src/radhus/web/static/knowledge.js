// Knowledge pages: drag-and-drop upload onto the file input, and clearing the chat box after a question.
(function () {
  function setup() {
    document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (input && event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          input.form.requestSubmit();
        }
      });
    });
    document.querySelectorAll("[data-chat-form]").forEach(function (form) {
      form.addEventListener("htmx:afterRequest", function (event) {
        if (event.detail.successful) {
          var box = form.querySelector("textarea");
          box.value = "";
          box.focus();
        }
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
})();
