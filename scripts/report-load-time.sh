#!/usr/bin/env bash
# How long report.html takes to load in headless Chromium, and whether the score cards are on
# the first screen (1280×720). Prints the frame's navigation timings (ms from navigation start):
# DOMContentLoaded, load and first contentful paint. (Opening a cell first expands the
# compressed details asynchronously, after the page's load event, which --dump-dom does not wait
# for: not measured here.)
#
# usage: scripts/report-load-time.sh [REPORT_HTML=reports/report.html] [RUNS=3]
# needs: /usr/bin/chromium (or $S3CORS_CHROMIUM), /usr/bin/time. Wrap in `flock
# /work/chromium.lock` on a shared machine. Wall-clock numbers depend on the machine's load; the
# CPU seconds of the whole Chromium run (start-up included) are printed next to them.
set -euo pipefail
REPORT=$(realpath "${1:-reports/report.html}")
RUNS=${2:-3}
CHROMIUM=${S3CORS_CHROMIUM:-/usr/bin/chromium}
[ -f "$REPORT" ] || { echo "no such file: $REPORT" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (apt-get install chromium)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$REPORT" "$TMP/report.html"
cat >"$TMP/measure.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:1280px;height:720px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
var f = document.getElementById("f");
f.addEventListener("load", function () {
  var w = f.contentWindow, d = f.contentDocument;
  var nav = w.performance.getEntriesByType("navigation")[0] || {};
  var fcp = w.performance.getEntriesByName("first-contentful-paint")[0];
  var cards = d.querySelectorAll("#scores .score"), inside = 0;
  cards.forEach(function (e) { var r = e.getBoundingClientRect(); if (r.bottom <= 720 && r.right <= 1280) { inside += 1; } });
  document.getElementById("out").textContent = "domcontentloaded_ms " + Math.round(nav.domContentLoadedEventEnd) +
    " load_ms " + Math.round(nav.loadEventStart) + " fcp_ms " + (fcp ? Math.round(fcp.startTime) : "n/a") +
    " score_cards_on_first_screen " + inside + "/" + cards.length;
});
</script></body></html>
HTML
echo "report: $REPORT ($(du -k "$REPORT" | cut -f1) KB), $RUNS run(s), Chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}')"
for i in $(seq 1 "$RUNS"); do
  /usr/bin/time -o "$TMP/time-$i" -f "run $i: Chromium used %U s user + %S s sys CPU, %e s wall" "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-extensions \
    --no-first-run --allow-file-access-from-files --user-data-dir="$TMP/profile-$i" \
    --dump-dom "file://$TMP/measure.html" 2>/dev/null |
    grep -o '<pre id="out">[^<]*</pre>' | sed 's/<[^>]*>//g; s/^/run '"$i"': /'
  cat "$TMP/time-$i"
done
