// Rongcuo pages: progressive enhancement only — every page works without this file.
(function () {
  "use strict";
  // After a refused action, move keyboard and screen-reader focus to the message that explains it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // "Copy link" beside the shareable self-check address (the address itself is shown as text anyway).
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(input.value).then(function () {
          var done = document.querySelector("[data-copied]");
          if (done) { done.hidden = false; }
        });
      });
    });
  }
})();
