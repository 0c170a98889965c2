/* The clinic's few behaviours in the browser, in one file so that the Content-Security-Policy can forbid inline
   scripts (script-src 'self'). Every page works without it; these only make the forms kinder. */
(function () {
  "use strict";

  /* Branching questionnaires (e.g. the C-SSRS screener): hide questions that are not asked and clear their
     answers. Without JavaScript every question shows and the server's engine still enforces the branching. */
  function updateBranching(form) {
    form.querySelectorAll("fieldset[data-asked-if]").forEach(function (fs) {
      const [name, value] = fs.dataset.askedIf.split("=");
      const parent = form.querySelector("input[name=" + name + "]");
      if (!parent) return;
      const chosen = form.querySelector("input[name=" + name + "]:checked");
      const parentShown = !parent.closest("fieldset").hidden;
      const asked = parentShown && chosen && chosen.value === value;
      fs.hidden = !asked;
      if (!asked) fs.querySelectorAll("input").forEach(function (i) { i.checked = false; });
    });
  }

  function branchingForms(root) {
    const forms = new Set();
    root.querySelectorAll("fieldset[data-asked-if]").forEach(function (fs) {
      const form = fs.closest("form");
      if (form) forms.add(form);
    });
    return forms;
  }

  function setUp(root) {
    branchingForms(root).forEach(updateBranching);
  }

  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest("form");
    if (form && form.querySelector("fieldset[data-asked-if]")) updateBranching(form);
  });

  /* <button data-print> prints the page (the progress report's "Print / save as PDF"). */
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });

  /* A form sent back with errors: bring the first problem into view and give it the keyboard focus, so a patient
     at the top of a long questionnaire sees that question 9 needs an answer (and a screen reader says so). The
     error summary (data-error-summary) comes first; otherwise the first field with an error. */
  function focusFirstError(root) {
    const summary = root.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); summary.scrollIntoView({ block: "center" }); return; }
    const error = root.querySelector("main form .form-errors, main form .errorlist");
    if (!error) return;
    const holder = error.closest("fieldset, div, p") || error;
    const field = holder.querySelector("input:not([type=hidden]), select, textarea");
    (field || error).scrollIntoView({ block: "center" });
    if (field) field.focus();
  }

  /* On a narrow screen (a tablet at the chair, a phone) the top bar's links fold into a "Menu" button, so the page
     starts near the top of the screen. Without JavaScript the links simply stay visible. */
  function setUpMenu() {
    const toggle = document.querySelector(".nav-toggle");
    if (!toggle) return;
    const bar = toggle.closest(".topbar");
    bar.classList.add("foldable");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      const open = bar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* The flowsheet saves one section at a time and leaves the others as typed. Each save moves the session's record
     version on (the optimistic lock against two people changing it at once); the strip, refreshed with every save,
     carries the version the server now has, and the sections left in place take it, so saving another section
     next is not mistaken for someone else's change. */
  document.addEventListener("htmx:afterSettle", function () {
    const strip = document.getElementById("flowsheet-strip");
    if (!strip || !strip.dataset.version) return;
    document.querySelectorAll(".flowsheet input[name=version]").forEach(function (input) {
      input.value = strip.dataset.version;
    });
  });

  document.addEventListener("DOMContentLoaded", function () { setUp(document); setUpMenu(); focusFirstError(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
