// integrator's one script: owner preview, time zone and RCA default, countdowns, live refresh,
// and a guard against double submits. External (the CSP forbids inline script); no build step.
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function byName(name) { return document.getElementById(name); }

  // -- Owner preview: who will be paged, before sending --------------------------------------
  function setupPreview() {
    var box = document.getElementById("owner-preview");
    var trace = byName("failure.stack_trace");
    var locations = byName("failure.locations");
    if (!box || !trace || !locations) return;
    var timer = null;
    var asked = 0;

    function line(tag, text, cls) {
      var el = document.createElement(tag);
      if (cls) el.className = cls;
      el.textContent = text;
      return el;
    }

    function show(answer) {
      var title = box.querySelector("h3");
      box.replaceChildren(title);
      if (!answer.owner) { box.appendChild(line("p", answer.message, "muted")); return; }
      var who = line("p", "", "owner");
      who.appendChild(line("strong", answer.owner.engineer));
      who.appendChild(document.createTextNode(" "));
      who.appendChild(line("span", answer.owner.team + " · " + answer.owner.service, "team"));
      box.appendChild(who);
      box.appendChild(line("p", answer.owner.explanation, "why"));
      if (answer.owner.rule) {
        var rule = line("p", "Registry line " + answer.owner.line + ": ", "rule");
        rule.appendChild(line("code", answer.owner.rule));
        box.appendChild(rule);
      }
    }

    function ask() {
      var body = {
        locations: locations.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean),
        stack_trace: trace.value
      };
      var mine = ++asked;
      box.classList.add("loading");
      fetch(box.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body)
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) { if (answer && mine === asked) show(answer); })
        .catch(function () { /* the preview is a convenience; the submit still resolves the owner */ })
        .finally(function () { if (mine === asked) box.classList.remove("loading"); });
    }

    function soon() { clearTimeout(timer); timer = setTimeout(ask, 300); }
    trace.addEventListener("input", soon);
    locations.addEventListener("input", soon);
    if (trace.value.trim() || locations.value.trim()) ask();
  }

  // -- The reporter's time zone and the default RCA promise ------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localValue(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function setupZone() {
    var form = document.getElementById("report");
    var zone = byName("reporter.time_zone");
    var rca = byName("rca_due");
    if (!form || !zone || !rca || !("fresh" in form.dataset)) return;
    var detected = "";
    try { detected = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    if (!detected || zone.value !== "UTC") return;
    zone.value = detected;
    // Same rule as the server: 17:00 today, or 4 hours ahead when 17:00 is less than 4 hours away.
    var now = new Date();
    var five = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 17, 0);
    var due = (five - now < 4 * 3600 * 1000) ? new Date(now.getTime() + 4 * 3600 * 1000) : five;
    rca.value = localValue(due);
  }

  // -- Countdowns on the SLA clocks ----------------------------------------------------------
  function left(due) {
    var seconds = Math.round((due - Date.now()) / 1000);
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    var span = h ? h + " h " + m + " min" : m + " min";
    return seconds >= 0 ? span + " left" : "overdue by " + span;
  }
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      el.textContent = left(new Date(el.getAttribute("datetime")).getTime());
    });
  }

  // -- Live refresh while effects are pending ------------------------------------------------
  function setupRefresh() {
    var seconds = Number(document.body.dataset.refresh || 0);
    if (!seconds) return;
    var editing = false;  // a reload would throw away what is being written (the customer update)
    document.querySelectorAll("form[data-keep]").forEach(function (form) {
      form.addEventListener("input", function () { editing = true; });
    });
    setTimeout(function again() {
      if (editing) return;
      if (document.hidden) { setTimeout(again, seconds * 1000); return; }
      window.location.reload();
    }, seconds * 1000);
  }

  // -- One submit per form, however many clicks -----------------------------------------------
  function setupSubmitGuard() {
    var form = document.getElementById("report");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      var button = document.getElementById("submit");
      // Disabled after the submit has been built, so the form's data is unchanged.
      setTimeout(function () {
        if (button) { button.dataset.idleText = button.textContent; button.disabled = true; button.textContent = button.dataset.busyText || "Sending…"; }
      }, 0);
    });
    // Back from the escalation page (the browser's page cache): the form may be used again.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      var button = document.getElementById("submit");
      delete form.dataset.sent;
      if (button) { button.disabled = false; button.textContent = button.dataset.idleText || button.textContent; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPreview();
    setupZone();
    setupRefresh();
    setupSubmitGuard();
    tick();
    if (document.querySelector("time[data-countdown]")) setInterval(tick, 30000);
  });
})();
