// A job's page, and the Jobs list while a job waits or runs: read again every
// few seconds (data-refresh, in seconds) until it has ended. Without
// JavaScript the page's own "Refresh" link does the same.
(function () {
  var seconds = Number(document.body.querySelector("[data-refresh]").getAttribute("data-refresh"));
  if (seconds > 0) {
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
