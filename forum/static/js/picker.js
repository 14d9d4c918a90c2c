/* The country, region and sector picker: turns every <select multiple data-picker> into a
   type-to-filter control with removable chips (tom-select, vendored). Without this script
   (or tom-select) the native <select> stays and submits the same values.

   What the server gives (templates/macros/ui.html, `picker`): each <option>'s data-search
   text (its name in the reader's language and in English, its codes), <optgroup>s with the
   suggestions first, and the translated words in data-picker-remove and
   data-picker-no-results. No inline styles: tom-select sets element.style from script,
   which the CSP allows. */
(function () {
  "use strict";

  function text(el, name, fallback) {
    return el.getAttribute(name) || fallback;
  }

  // Each chip's remove button is named after its country or sector ("Remove Japan").
  function nameRemoveButtons(ts, word) {
    ts.control.querySelectorAll(".item").forEach(function (item) {
      var button = item.querySelector(".remove");
      var option = ts.options[item.getAttribute("data-value")];
      if (button && option) {
        button.setAttribute("aria-label", word + " " + option.text);
        button.setAttribute("title", word + " " + option.text);
      }
    });
  }

  function enhance(select) {
    if (select.tomselect || typeof window.TomSelect !== "function") {
      return;
    }
    var remove = text(select, "data-picker-remove", "Remove");
    var none = text(select, "data-picker-no-results", "No results");
    var ts = new window.TomSelect(select, {
      plugins: { remove_button: { title: remove } },
      searchField: ["text", "search"],
      lockOptgroupOrder: true,
      maxOptions: null,
      hideSelected: true,
      closeAfterSelect: true,
      render: {
        no_results: function (data, escape) {
          return '<div class="no-results">' + escape(none) + "</div>";
        }
      },
      onItemAdd: function () {
        this.setTextboxValue("");
        this.refreshOptions(false);
      }
    });
    // The control input is what a screen reader lands on: give it the select's help text
    // and error (tom-select copies the label, not the description).
    var described = select.getAttribute("aria-describedby");
    if (described) {
      ts.control_input.setAttribute("aria-describedby", described);
    }
    if (select.getAttribute("aria-invalid") === "true") {
      ts.control_input.setAttribute("aria-invalid", "true");
    }
    // The native list stays in the page (1px, for the form and its validation), named by
    // the label tom-select moved to its input, and out of screen readers' way.
    var label = document.querySelector('label[for="' + ts.control_input.id + '"]');
    if (label && label.id) {
      select.setAttribute("aria-labelledby", label.id);
    }
    select.setAttribute("aria-hidden", "true");
    var field = select.closest(".picker-field");
    if (field) {
      field.querySelectorAll(".picker-nojs-hint").forEach(function (el) { el.hidden = true; });
      field.querySelectorAll(".picker-js-hint").forEach(function (el) { el.hidden = false; });
    }
    nameRemoveButtons(ts, remove);
    ts.on("item_add", function () { nameRemoveButtons(ts, remove); });
  }

  function start() {
    document.querySelectorAll("select[multiple][data-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
