(function () {
  "use strict";
  var panel = document.getElementById("panel");
  var panelBody = document.getElementById("panel-body");
  var panelTitle = document.getElementById("panel-title");
  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.of"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#cases tbody tr.case"));
  var caseCells = Array.prototype.slice.call(document.querySelectorAll("#cases .cell"));

  function keyOf(cell) {
    return cell.getAttribute("data-target") + "/" + cell.getAttribute("data-case");
  }

  // The details arrive gzip-compressed in one attribute (see `templates` in html.rs): the
  // first open expands them into #details as inert <template>s, once. The markup is the
  // page's own, rendered and escaped by s3cors like everything else on the page.
  var detailsReady = null;
  function loadDetails() {
    if (detailsReady) { return detailsReady; }
    var holder = document.getElementById("details");
    var z = document.getElementById("details-gz");
    var b64 = z ? z.getAttribute("data-gz") : "";
    if (!b64) {
      detailsReady = Promise.resolve();
    } else if (typeof DecompressionStream === "undefined") {
      detailsReady = Promise.reject(new Error("this browser cannot expand the details (no DecompressionStream); report.md and details/ have them"));
    } else {
      var bin = atob(b64);
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i += 1) { bytes[i] = bin.charCodeAt(i); }
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      detailsReady = new Response(stream).text().then(function (html) {
        holder.innerHTML = html;
        z.removeAttribute("data-gz");
      });
    }
    return detailsReady;
  }

  function openDetail(cell) {
    loadDetails().then(function () { showDetail(cell); }, function (e) {
      panelBody.textContent = String(e && e.message ? e.message : e);
      panelTitle.textContent = keyOf(cell);
      panel.hidden = false;
    });
  }

  function showDetail(cell) {
    var tpl = document.getElementById(cell.getAttribute("data-detail"));
    if (!tpl) { return; }
    panelBody.replaceChildren(tpl.content.cloneNode(true));
    panelTitle.textContent = keyOf(cell);
    panel.setAttribute("data-open", keyOf(cell));
    panel.hidden = false;
    caseCells.forEach(function (c) { c.classList.remove("selected"); });
    cell.classList.add("selected");
    try { history.replaceState(null, "", "#open=" + encodeURIComponent(keyOf(cell))); } catch (e) { /* file:// in some browsers */ }
    panel.focus();
  }

  function closePanel() {
    panel.hidden = true;
    panel.removeAttribute("data-open");
    caseCells.forEach(function (c) { c.classList.remove("selected"); });
  }

  function applyFilters() {
    var q = filter.value.trim().toLowerCase();
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var n = 0;
    rows.forEach(function (r) {
      var textOk = !q || r.getAttribute("data-search").indexOf(q) >= 0;
      var outcomes = r.getAttribute("data-outcomes").split(" ");
      var outcomeOk = outcomes.some(function (o) { return on[o]; });
      r.hidden = !(textOk && outcomeOk);
      if (!r.hidden) { n += 1; }
      Array.prototype.forEach.call(r.querySelectorAll(".cell"), function (c) {
        c.classList.toggle("dim", !on[c.getAttribute("data-outcome")]);
      });
    });
    shown.textContent = n + " of " + rows.length + " cases shown";
  }

  function fromHash() {
    var hash = location.hash.replace(/^#/, "");
    if (hash.indexOf("open=") !== 0) { return; }
    var key;
    try { key = decodeURIComponent(hash.slice(5)); } catch (e) { return; }
    for (var i = 0; i < caseCells.length; i += 1) {
      if (keyOf(caseCells[i]) === key) {
        if (panel.getAttribute("data-open") !== key) { caseCells[i].click(); }
        return;
      }
    }
  }

  caseCells.forEach(function (c) {
    c.addEventListener("click", function () { openDetail(c); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("#matrix .cell"), function (c) {
    c.addEventListener("click", function () {
      filter.value = c.getAttribute("data-group") + "/";
      applyFilters();
      document.getElementById("cases-section").scrollIntoView();
    });
  });
  filter.addEventListener("input", applyFilters);
  boxes.forEach(function (b) { b.addEventListener("change", applyFilters); });
  document.getElementById("panel-close").addEventListener("click", closePanel);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { closePanel(); } });
  window.addEventListener("hashchange", fromHash);

  applyFilters();
  fromHash();
  document.body.setAttribute("data-js", "ready");
})();
