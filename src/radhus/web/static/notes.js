// Documentation support: play the part of the recording a sentence came from, mark the segment being played,
// drag and drop an audio file, record in the browser.
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
  document.addEventListener("DOMContentLoaded", setUpRecorder);
  document.addEventListener("DOMContentLoaded", followPlayback);

  // Mark the transcript segment being played (elements with data-start and data-end, in seconds).
  function followPlayback() {
    var audio = document.getElementById("ljud");
    var parts = Array.prototype.slice.call(document.querySelectorAll("[data-start][data-end]"));
    if (!audio || !parts.length) return;
    var current = null;
    audio.addEventListener("timeupdate", function () {
      var now = audio.currentTime;
      var found = null;
      parts.forEach(function (part) {
        var start = parseFloat(part.getAttribute("data-start"));
        var end = Math.max(parseFloat(part.getAttribute("data-end")), start + 0.5);
        if (now >= start && now < end) found = part;
      });
      if (found === current) return;
      if (current) { current.classList.remove("playing"); current.removeAttribute("aria-current"); }
      if (found) { found.classList.add("playing"); found.setAttribute("aria-current", "true"); }
      current = found;
    });
  }
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

  // Record in the browser with MediaRecorder; the recording is put into the audio file field of the form.
  function setUpRecorder() {
    var box = document.getElementById("inspelare");
    var input = document.getElementById("ljudfil");
    if (!box || !input || !window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
    box.hidden = false;
    var start = document.getElementById("spela-in");
    var stop = document.getElementById("stoppa-inspelning");
    var status = document.getElementById("inspelning-status");
    var recorder = null;
    var chunks = [];
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.addEventListener("dataavailable", function (event) { if (event.data.size) chunks.push(event.data); });
        recorder.addEventListener("stop", function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
          var file = new File(chunks, "inspelning.webm", { type: "audio/webm" });
          var transfer = new DataTransfer();
          transfer.items.add(file);
          input.files = transfer.files;
          status.textContent = box.getAttribute("data-done") || "";
          start.disabled = false;
          stop.disabled = true;
        });
        recorder.start(1000);
        status.textContent = box.getAttribute("data-recording") || "";
        start.disabled = true;
        stop.disabled = false;
        stop.focus();
      }).catch(function () {
        status.textContent = box.getAttribute("data-denied") || "";
      });
    });
    stop.addEventListener("click", function () { if (recorder && recorder.state !== "inactive") recorder.stop(); });
  }
})();
