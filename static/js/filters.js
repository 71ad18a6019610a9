// Folds the incident filters on a phone, where the open form would fill more than a screen:
// the summary ("Filters (3)") and the links of the active filters under it say what is set.
// Runs as soon as the panel is parsed, so the page does not jump. Without JavaScript, and on
// wider screens (app.css's phone width), the form stays open.
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 40rem)").matches) return;
  document.querySelectorAll("details[data-fold-on-phone]").forEach(function (panel) {
    panel.open = false;
  });
})();
