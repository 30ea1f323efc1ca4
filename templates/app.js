// Small progressive enhancement of the answer form; every page works without it.
// - The 重要機能室 answer shows goal 7 or goal 8 at once.
// - The progress line counts answers as they are chosen.
// - Scoring 1 or 2 unfolds the improvement plan.
// - What is typed is also kept in this tab (sessionStorage, gone when the tab
//   closes) until the server has it, so that an expired session or a lost
//   connection loses nothing: the form offers to restore it.
(function () {
  "use strict";
  // The page that refused a save because the session had ended: after the
  // login the sheet restores what was kept, without asking.
  if (document.querySelector("[data-session-expired]")) {
    try { sessionStorage.setItem("tenken:restore", "1"); } catch (e) { /* disabled */ }
  }
  // Irreversible actions (buttons with data-confirm) ask first in a
  // <dialog>; on OK the form is sent with confirm=1, which the server takes
  // as confirmed. Without JavaScript the server answers a confirmation page.
  var dialog = null;
  function ask(button, onOk) {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "confirm";
      dialog.id = "confirm-dialog";
      dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
      dialog.setAttribute("aria-describedby", "confirm-dialog-text");
      var h = document.createElement("h2");
      h.id = "confirm-dialog-title";
      var p = document.createElement("p");
      p.id = "confirm-dialog-text";
      var extra = document.createElement("p");
      extra.id = "confirm-dialog-extra";
      var actions = document.createElement("div");
      actions.className = "dialog-actions";
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "plain";
      cancel.id = "confirm-dialog-cancel";
      cancel.textContent = "戻る";
      var ok = document.createElement("button");
      ok.type = "button";
      ok.className = "danger";
      ok.id = "confirm-dialog-ok";
      actions.appendChild(cancel);
      actions.appendChild(ok);
      dialog.appendChild(h);
      dialog.appendChild(p);
      dialog.appendChild(extra);
      dialog.appendChild(actions);
      document.body.appendChild(dialog);
      cancel.addEventListener("click", function () { dialog.close(); });
    }
    var label = button.textContent.trim();
    dialog.querySelector("h2").textContent = "「" + label + "」の確認";
    dialog.querySelector("#confirm-dialog-text").textContent = button.getAttribute("data-confirm");
    var progress = document.getElementById("progress");
    var extraText = button.value === "submit" && progress ? "回答済みの小項目: " + progress.textContent : "";
    var extraEl = dialog.querySelector("#confirm-dialog-extra");
    extraEl.textContent = extraText;
    extraEl.hidden = extraText === "";
    var okButton = dialog.querySelector("#confirm-dialog-ok");
    var fresh = okButton.cloneNode(true);
    fresh.textContent = label;
    okButton.parentNode.replaceChild(fresh, okButton);
    fresh.addEventListener("click", function () { dialog.close(); onOk(); });
    dialog.showModal();
    dialog.querySelector("#confirm-dialog-cancel").focus();
  }
  document.addEventListener("submit", function (ev) {
    var target = ev.target;
    var button = ev.submitter;
    if (!button || !button.hasAttribute("data-confirm") || typeof HTMLDialogElement !== "function") { return; }
    if (target.querySelector("input[name=confirm]")) { return; }
    ev.preventDefault();
    ask(button, function () {
      var yes = document.createElement("input");
      yes.type = "hidden";
      yes.name = "confirm";
      yes.value = "1";
      target.appendChild(yes);
      if (target.requestSubmit) { target.requestSubmit(button); } else { button.click(); }
    });
  });

  var form = document.getElementById("sheet-form");
  if (!form) { return; }
  var key = "tenken:" + form.getAttribute("action");
  var version = form.getAttribute("data-version");
  // The field names come from the page (workflow::fields in Rust).
  var scorePrefix = form.getAttribute("data-score-prefix");
  var roomField = form.getAttribute("data-room-field");

  function roomSwitch() {
    var chosen = form.querySelector("input[name=\"" + roomField + "\"]:checked");
    if (!chosen) { return; }
    document.querySelectorAll("[data-critical-room]").forEach(function (goal) {
      goal.hidden = goal.getAttribute("data-critical-room") !== chosen.value;
    });
  }

  function count() {
    var out = document.getElementById("progress");
    if (!out) { return; }
    var items = form.querySelectorAll(".goal:not([hidden]) fieldset.item");
    var answered = 0;
    items.forEach(function (item) {
      if (item.querySelector("input[type=radio]:checked")) { answered += 1; }
    });
    out.textContent = answered + " / " + items.length;
    // The table of contents: answered / applicable per 大分類 and goal.
    document.querySelectorAll("[data-toc]").forEach(function (span) {
      var target = document.getElementById(span.getAttribute("data-toc"));
      if (!target) { return; }
      var section = target.closest(".goal") || target;
      var shown = section.classList.contains("goal")
        ? section.querySelectorAll("fieldset.item")
        : section.querySelectorAll(".goal:not([hidden]) fieldset.item");
      var done = 0;
      shown.forEach(function (item) {
        if (item.querySelector("input[type=radio]:checked")) { done += 1; }
      });
      span.textContent = done + " / " + shown.length;
    });
    document.querySelectorAll("[data-toc-goal]").forEach(function (li) {
      var goal = document.getElementById("goal-" + li.getAttribute("data-toc-goal"));
      var section = goal && goal.closest(".goal");
      if (section) { li.hidden = section.hidden; }
    });
  }

  function snapshot() {
    var data = [];
    form.querySelectorAll("input, textarea").forEach(function (el) {
      if (!el.name || el.type === "hidden") { return; }
      if (el.type === "radio") {
        if (el.checked) { data.push([el.name, el.value]); }
      } else {
        data.push([el.name, el.value]);
      }
    });
    return data;
  }

  function save() {
    try {
      sessionStorage.setItem(key, JSON.stringify({ version: version, data: snapshot() }));
    } catch (e) { /* storage full or disabled: nothing to do */ }
  }

  function restore(data) {
    data.forEach(function (pair) {
      var els = form.querySelectorAll("[name=\"" + pair[0].replace(/"/g, "") + "\"]");
      els.forEach(function (el) {
        if (el.type === "radio") { el.checked = el.value === pair[1]; } else { el.value = pair[1]; }
      });
    });
    roomSwitch();
    count();
  }

  var kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { kept = null; }
  var auto = false;
  try { auto = sessionStorage.getItem("tenken:restore") === "1"; sessionStorage.removeItem("tenken:restore"); } catch (e) { auto = false; }
  if (auto && kept && kept.version === version) {
    restore(kept.data);
    var done = document.createElement("p");
    done.className = "notice";
    done.setAttribute("role", "status");
    done.textContent = "ログインの前に入力した内容を復元しました。内容を確かめて保存してください。";
    form.parentNode.insertBefore(done, form);
  } else if (kept && kept.version === version && JSON.stringify(kept.data) !== JSON.stringify(snapshot())) {
    var bar = document.createElement("p");
    bar.className = "notice";
    bar.setAttribute("role", "status");
    bar.textContent = "このブラウザに、保存されていない入力が残っています。";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "入力を復元する";
    button.addEventListener("click", function () { restore(kept.data); bar.remove(); });
    bar.appendChild(button);
    form.parentNode.insertBefore(bar, form);
  } else if (kept && kept.version !== version) {
    // The server has a newer version: what was kept has been saved.
    sessionStorage.removeItem(key);
  }

  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.name === roomField) { roomSwitch(); }
    if (t.type === "radio" && t.name.indexOf(scorePrefix) === 0) {
      var details = t.closest("fieldset").querySelector("details.plan");
      var needed = t.value === "1" || t.value === "2";
      if (details && needed) { details.open = true; }
      if (details) {
        var req = details.querySelector(".plan-required");
        var opt = details.querySelector(".plan-optional");
        if (req) { req.hidden = !needed; }
        if (opt) { opt.hidden = needed; }
      }
    }
    count();
    save();
  });
  form.addEventListener("input", save);
  roomSwitch();
  count();
}());
