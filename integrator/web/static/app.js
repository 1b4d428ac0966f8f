// integrator's one script: owner preview, known accounts, the reporter remembered, time zone and
// RCA default, countdowns, live refresh, and a guard against double submits. External (the CSP forbids inline script); no build step.
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

  // -- Known accounts: suggested as the SE types, and choosing one fills the deal (editable) ----
  var PEOPLE = ["economic_buyer", "executive_sponsor", "account_executive"];
  function setupAccounts() {
    var account = byName("deal.account");
    var list = document.getElementById("known-accounts");
    if (!account || !list || !account.dataset.accountsUrl) return;
    var url = account.dataset.accountsUrl;
    var known = {};  // lower-cased name -> account, from the latest suggestions
    var timer = null;
    var asked = 0;

    function suggest() {
      var mine = ++asked;
      fetch(url + "?limit=10&prefix=" + encodeURIComponent(account.value.trim()), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer || mine !== asked) return;
          known = {};
          list.replaceChildren();
          answer.accounts.forEach(function (a) {
            known[a.name.toLowerCase()] = a;
            var option = document.createElement("option");
            option.value = a.name;
            list.appendChild(option);
          });
          fillIfKnown();
        })
        .catch(function () { /* suggestions are a convenience; the report is complete without them */ });
    }

    // A field is filled when empty or still holding what an earlier account filled in.
    function put(name, value, always) {
      var el = byName(name);
      if (!el || value === null || value === undefined || value === "") return;
      if (!always && el.value && el.dataset.filled !== el.value) return;
      if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === value; })) {
        var option = document.createElement("option");
        option.textContent = value;
        el.appendChild(option);
      }
      el.value = value;
      el.dataset.filled = el.value;
    }

    function fillIfKnown() {
      var chosen = known[account.value.trim().toLowerCase()];
      if (!chosen || account.dataset.filledFrom === chosen.name) return;
      account.dataset.filledFrom = chosen.name;
      put("deal.arr", chosen.arr.replace(/\.00$/, ""));
      var arr = byName("deal.arr");
      put("deal.currency", chosen.currency, arr && arr.dataset.filled === arr.value);  // it goes with the ARR
      put("deal.poc_ends_on", chosen.poc_ends_on);
      PEOPLE.forEach(function (role) {
        var person = chosen[role];
        if (!person) return;
        put("deal." + role + ".name", person.name);
        put("deal." + role + ".email", person.email);
      });
    }

    account.addEventListener("input", function () {
      fillIfKnown();
      clearTimeout(timer);
      timer = setTimeout(suggest, 200);
    });
    account.addEventListener("change", fillIfKnown);
  }

  // -- The reporter, remembered by this browser: a repeat report is account, title, trace -----
  var REMEMBERED = ["reporter.name", "reporter.email", "reporter.time_zone"];
  function recall(name) {
    try { return window.localStorage.getItem("integrator." + name) || ""; } catch (e) { return ""; }
  }
  function setupReporter() {
    var form = document.getElementById("report");
    if (!form) return;
    if ("fresh" in form.dataset) {
      ["reporter.name", "reporter.email"].forEach(function (name) {
        var el = byName(name);
        if (el && !el.value) el.value = recall(name);  // the signed-in identity's email comes first
      });
    }
    form.addEventListener("submit", function () {
      REMEMBERED.forEach(function (name) {
        var el = byName(name);
        try { if (el && el.value.trim()) window.localStorage.setItem("integrator." + name, el.value.trim()); } catch (e) { /* private mode */ }
      });
    });
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
    var chosen = recall("reporter.time_zone") || detected;
    if (!chosen || zone.value !== "UTC") return;
    zone.value = chosen;
    if (chosen !== detected) return;  // the default below is on this browser's clock
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
    setupAccounts();
    setupReporter();
    setupZone();
    setupRefresh();
    setupSubmitGuard();
    tick();
    if (document.querySelector("time[data-countdown]")) setInterval(tick, 30000);
  });
})();
