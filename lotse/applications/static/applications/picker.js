/* Lotse facility picker: turns each wish's <select> (which works alone, without JavaScript)
   into a search field with a list of matches. htmx fetches the matches (data-hx-* on the
   field); this script moves the choice into the hidden <select>, keeps a live status line for
   screen readers and lets the arrow keys walk the list. */
(function () {
  "use strict";

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    return node;
  }

  function setup(box) {
    if (box.getAttribute("data-picker-ready")) { return; }
    box.setAttribute("data-picker-ready", "1");
    var select = box.querySelector("select");
    var ui = box.querySelector(".picker-ui");
    if (!select || !ui) { return; }
    var search = ui.querySelector("input[type=search]");
    var current = ui.querySelector(".picker-current");
    var status = ui.querySelector(".picker-status");
    var results = ui.querySelector(".picker-results");

    // The field's own label ("Wish 1") now names the search field; errors and help stay attached.
    var fieldLabel = document.querySelector('label[for="' + select.id + '"]');
    if (fieldLabel) {
      if (!fieldLabel.id) { fieldLabel.id = select.id + "_label"; }
      fieldLabel.htmlFor = search.id;
      search.setAttribute("aria-labelledby", fieldLabel.id + " " + search.id + "label");
    }
    var described = (select.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(status.id);
    search.setAttribute("aria-describedby", described.join(" "));
    if (select.getAttribute("aria-invalid")) { search.setAttribute("aria-invalid", "true"); }
    if (select.required) { search.setAttribute("aria-required", "true"); }
    select.hidden = true;
    ui.hidden = false;

    function showCurrent() {
      current.textContent = "";
      var option = select.options[select.selectedIndex];
      if (!option || !option.value) {
        current.textContent = ui.getAttribute("data-none");
        return;
      }
      current.appendChild(document.createTextNode(ui.getAttribute("data-chosen") + " "));
      current.appendChild(el("strong", option.text));
      var remove = el("button", ui.getAttribute("data-remove"));
      remove.type = "button";
      remove.className = "link-button";
      remove.setAttribute("aria-label", ui.getAttribute("data-remove") + ": " + option.text);
      remove.addEventListener("click", function () {
        select.value = "";
        select.dispatchEvent(new Event("change", { bubbles: true }));
        showCurrent();
        status.textContent = ui.getAttribute("data-removed");
        search.focus();
      });
      current.appendChild(remove);
    }

    function options() { return Array.prototype.slice.call(results.querySelectorAll(".picker-option")); }

    function choose(button) {
      var value = button.getAttribute("data-value");
      var label = button.getAttribute("data-label");
      var found = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
      if (!found) { select.add(new Option(label, value)); }
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      showCurrent();
      results.textContent = "";
      search.value = "";
      status.textContent = ui.getAttribute("data-chosen") + " " + label;
      search.focus();
    }

    results.addEventListener("click", function (event) {
      var button = event.target.closest(".picker-option");
      if (button) { choose(button); }
    });
    results.addEventListener("keydown", function (event) {
      var list = options();
      var at = list.indexOf(document.activeElement);
      if (at < 0) { return; }
      var next = null;
      if (event.key === "ArrowDown") { next = list[Math.min(at + 1, list.length - 1)]; }
      else if (event.key === "ArrowUp") { next = at === 0 ? search : list[at - 1]; }
      else if (event.key === "Home") { next = list[0]; }
      else if (event.key === "End") { next = list[list.length - 1]; }
      else if (event.key === "Escape") { next = search; }
      if (next) { event.preventDefault(); next.focus(); }
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && options().length) {
        event.preventDefault();
        options()[0].focus();
      } else if (event.key === "Escape") {
        results.textContent = "";
      } else if (event.key === "Enter") {
        // Enter in the search field searches; it must not submit the application.
        event.preventDefault();
        if (options().length === 1) { choose(options()[0]); }
      }
    });
    // A late answer replaces the list under someone walking it: keep their place.
    function mine(event) {
      return event.target === results || event.target === search ||
        (event.detail && event.detail.target === results);
    }
    var kept = null;
    document.addEventListener("htmx:beforeSwap", function (event) {
      if (!mine(event)) { return; }
      var active = document.activeElement;
      kept = results.contains(active) ? active.getAttribute("data-value") : null;
    });
    document.addEventListener("htmx:afterSwap", function (event) {
      if (!mine(event)) { return; }
      var answer = results.querySelector("[data-picker-message]");
      status.textContent = answer ? answer.getAttribute("data-picker-message") : "";
      if (kept !== null) {
        var again = results.querySelector('.picker-option[data-value="' + kept + '"]') || options()[0];
        (again || search).focus();
        kept = null;
      }
    });
    showCurrent();
  }

  function setupAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-picker]"), setup);
  }
  setupAll(document);
  document.addEventListener("htmx:load", function (event) { setupAll(event.target); });
})();
