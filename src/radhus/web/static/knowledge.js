// Knowledge pages: drag-and-drop upload onto the file input, and the chat: the question is sent to the
// streaming endpoint, the answer's text appears as the model writes it, and the finished answer (with its
// citation chips and feedback form) replaces it. Without JavaScript the form posts and the page reloads.
(function () {
  function setupDropzones() {
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
  }

  // Split a server-sent-events buffer into complete events; returns the unfinished rest.
  function takeEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var kind = "message";
      var data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) { kind = line.slice(6).trim(); }
        else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
      });
      if (data.length) { onEvent(kind, JSON.parse(data.join("\n"))); }
    });
    return rest;
  }

  function pendingAnswer(question) {
    var article = document.createElement("article");
    article.className = "card answer pending";
    article.setAttribute("aria-busy", "true");
    var heading = document.createElement("h2");
    heading.className = "question";
    heading.textContent = question;
    var text = document.createElement("p");
    text.className = "answer-text streaming";
    article.appendChild(heading);
    article.appendChild(text);
    return article;
  }

  function showFinal(pending, html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var answer = holder.content.firstElementChild;
    pending.replaceWith(answer);
    if (window.htmx) { window.htmx.process(answer); }
  }

  function ask(form) {
    var box = form.querySelector("textarea");
    var button = form.querySelector("button[type=submit]");
    var status = form.querySelector("[data-chat-status]");
    var question = box.value.trim();
    if (!question) { box.reportValidity(); return; }
    var data = new FormData(form);  // includes the earlier questions (history inputs tied to this form)
    var pending = pendingAnswer(question);
    var text = pending.querySelector(".answer-text");
    document.getElementById("samtal").appendChild(pending);
    button.disabled = true;
    status.textContent = status.getAttribute("data-busy");
    var failed = function (message) {
      text.textContent = message || form.getAttribute("data-failed");
      text.classList.add("error");
      pending.removeAttribute("aria-busy");
    };
    var finish = function () { button.disabled = false; status.textContent = ""; };
    fetch(form.getAttribute("data-stream-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "text/event-stream" },
    }).then(function (response) {
      if (!response.ok || !response.body) {
        return response.json().then(function (body) { failed(body.detail); }, function () { failed(); });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      var settled = false;
      var onEvent = function (kind, payload) {
        if (kind === "delta") { text.textContent += payload; }
        else if (kind === "done") { settled = true; showFinal(pending, payload); box.value = ""; box.focus(); }
        else if (kind === "error") { settled = true; failed(payload); }
      };
      var pump = function () {
        return reader.read().then(function (step) {
          if (step.done) { if (!settled) { failed(); } return; }
          buffer = takeEvents(buffer + decoder.decode(step.value, { stream: true }), onEvent);
          return pump();
        });
      };
      return pump();
    }).catch(function () { failed(); }).then(finish, finish);
  }

  function setupChat() {
    document.querySelectorAll("[data-chat-form]").forEach(function (form) {
      if (!window.fetch || !window.ReadableStream || !window.TextDecoder) { return; }  // plain form post
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        ask(form);
      });
    });
  }

  function setup() { setupDropzones(); setupChat(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
})();
