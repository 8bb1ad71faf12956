// Documentation support: play the part of the recording a sentence came from; drag and drop an audio file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.source[data-start]");
    if (!button) return;
    var audio = document.getElementById("ljud");
    if (!audio) return;
    audio.currentTime = parseFloat(button.getAttribute("data-start")) || 0;
    audio.play().catch(function () { /* playback may need another user gesture; the position is set */ });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var zone = document.getElementById("slapp-ljud");
    var input = document.getElementById("ljudfil");
    if (!zone || !input) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
})();
