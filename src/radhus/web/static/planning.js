// Planning pages: poll while a plan is computed; pick or drag roster cells into the live-checked change form.
(function () {
  "use strict";
  const poll = document.querySelector("[data-poll]");
  if (poll) {
    setTimeout(function () { window.location.reload(); }, parseInt(poll.dataset.poll, 10) || 3000);
  }
  const form = document.getElementById("andra-form");
  const grid = document.getElementById("schema");
  if (!form || !grid) return;
  const setField = function (name, value) {
    const field = form.querySelector('[name="' + name + '"]');
    if (field) field.value = value;
  };
  const choose = function (cell, shift) {
    grid.querySelectorAll("td.vald").forEach(function (c) { c.classList.remove("vald"); });
    cell.classList.add("vald");
    setField("employee", cell.dataset.employee);
    setField("day", cell.dataset.day);
    setField("shift", shift === undefined ? cell.dataset.shift : shift);
    form.querySelector('[name="shift"]').dispatchEvent(new Event("change", { bubbles: true }));
    form.querySelector('[name="shift"]').focus();
  };
  grid.querySelectorAll("td[tabindex]").forEach(function (cell) {
    cell.addEventListener("click", function () { choose(cell); });
    cell.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(cell); }
    });
    cell.addEventListener("dragstart", function (event) {
      event.dataTransfer.setData("text/plain", cell.dataset.shift || "");
    });
    cell.addEventListener("dragover", function (event) { event.preventDefault(); });
    cell.addEventListener("drop", function (event) {
      event.preventDefault();
      choose(cell, event.dataTransfer.getData("text/plain"));
    });
  });
})();
