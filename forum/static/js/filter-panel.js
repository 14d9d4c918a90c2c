// The filters of a list sit behind a "Filters (n)" control (a <details>) on small screens
// and beside the results on wide ones. CSS shows them there where ::details-content is
// supported; this keeps the <details> itself open on wide screens for the other browsers,
// and closes it again when the window becomes narrow. Without it the control still works.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 52rem)");

  function sync(closeNarrow) {
    var panels = document.querySelectorAll("details.filter-panel");
    for (var i = 0; i < panels.length; i++) {
      if (wide.matches) {
        panels[i].open = true;
      } else if (closeNarrow) {
        panels[i].open = false;
      }
    }
  }

  function start() {
    sync(false);
    var changed = function () { sync(true); };
    if (wide.addEventListener) {
      wide.addEventListener("change", changed);
    } else if (wide.addListener) {
      wide.addListener(changed);
    }
    // The search page swaps its results region (the panel inside it) as one types.
    document.body.addEventListener("htmx:afterSwap", function () { sync(false); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
