/* Staff inbox: asks now and then whether alerts of this view changed since the page was
   made, and offers to show them. Reads the page's data-updates URL; sends nothing else. */
(function () {
  "use strict";
  var box = document.getElementById("updates");
  if (!box || !box.getAttribute("data-updates") || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-updates");
  var show = box.getAttribute("data-show") || "/staff/alerts";
  var every = Math.max(5, parseInt(box.getAttribute("data-every"), 10) || 30) * 1000;
  var shown = 0;

  function announce(count) {
    if (count === shown) {
      return;
    }
    shown = count;
    var link = document.createElement("a");
    link.href = show;
    link.textContent = count === 1 ? "1 new alert — show it" : count + " new alerts — show them";
    box.textContent = "";
    box.appendChild(link);
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && typeof data["new"] === "number" && data["new"] > 0) {
          announce(data["new"]);
        }
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(check, every);
      });
  }

  window.setTimeout(check, every);
})();
