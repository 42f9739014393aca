// heedful run viewer: the conversation filters of the index page. No data is fetched and no HTML
// is built from text here: the pages are written (and escaped) by replay/heedful/replay/viewer/site.py; this only
// shows and hides rows.
"use strict";

function applyFilters() {
  const wanted = Array.from(document.querySelectorAll("#filters input[data-filter]"))
    .filter((box) => box.checked)
    .map((box) => box.dataset.filter);
  const rows = Array.from(document.querySelectorAll("#conversations tbody tr"));
  let shown = 0;
  for (const row of rows) {
    // a row is shown when it has every checked flag (none checked: all rows)
    const visible = wanted.every((flag) => row.getAttribute("data-" + flag) === "true");
    row.hidden = !visible;
    if (visible) shown += 1;
  }
  const counter = document.getElementById("shown");
  if (counter) counter.textContent = shown + " of " + rows.length + " shown";
  const query = wanted.length ? "#" + wanted.join(",") : "";
  if (location.hash !== query) history.replaceState(null, "", query || location.pathname);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("filters");
  if (!form) return;
  // filters survive a reload and can be linked: index.html#failed,regressed
  const fromHash = decodeURIComponent(location.hash.slice(1)).split(",").filter(Boolean);
  for (const box of form.querySelectorAll("input[data-filter]")) {
    box.checked = fromHash.includes(box.dataset.filter);
    box.addEventListener("change", applyFilters);
  }
  form.addEventListener("submit", (event) => event.preventDefault());
  applyFilters();
});
