// Behaviour that must not live in inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // <select data-autosubmit> submits its form when changed.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });

  // <form data-once>: after the first submit, disable its buttons so a double click sends nothing more
  // (the server also dedupes by idempotency key). Disabled after the event, so the clicked button's
  // own name/value (e.g. "join this question") is still sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // An htmx form stays on the page: ready for the next entry once the server has answered.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target instanceof HTMLFormElement ? event.target : event.target.closest && event.target.closest("form");
    if (form && form.hasAttribute("data-once")) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    }
  });

  // Ctrl+Enter (or Cmd+Enter) in a textarea submits its form: keyboard-fast entry for operators.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target instanceof HTMLTextAreaElement && target.form) {
      event.preventDefault();
      target.form.requestSubmit();
    }
  });

  // Moderation board shortcuts, on the focused card: j/k move, o open, m merge into the best suggestion (after
  // a confirmation showing it), r route (the suggested department is pre-selected), x reject, p priority,
  // a approve the answer, b return it, w approve the wording, e edit wording; u undoes the last action.
  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".qcard")); }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) { return; }
    var card = target instanceof Element ? target.closest(".qcard") : null;
    var key = event.key;
    if (key === "j" || key === "k") {
      var all = cards();
      if (!all.length) { return; }
      var index = card ? all.indexOf(card) : -1;
      var next = all[Math.max(0, Math.min(all.length - 1, index + (key === "j" ? 1 : -1)))];
      next.focus();
      next.scrollIntoView({ block: "nearest" });
      event.preventDefault();
      return;
    }
    if (key === "u") {
      var undos = document.querySelectorAll("#toasts [data-undo]");  // only the latest is kept (armToast)
      var undo = undos[undos.length - 1];
      if (undo) { event.preventDefault(); undo.click(); }
      return;
    }
    if (!card) { return; }
    var action = card.querySelector('[data-key="' + key + '"]');
    if (!action) { return; }
    event.preventDefault();
    if (action.tagName === "SUMMARY") {
      action.parentElement.open = true;
      var first = action.parentElement.querySelector("select, input, button");
      if (first) { first.focus(); }
    } else {
      action.click();
    }
  });

  // Keep the keyboard where it was across swaps (an action's answer, a live update): on the same card
  // when it is still there, else on the card that took its place, never back at the top of the page.
  var focusedCard = null;
  function rememberFocus(target) {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest(".qcard") : null;
    if (!card || !target || !(target === card || target.contains(card))) { return; }
    var next = card.nextElementSibling;
    while (next && !next.classList.contains("qcard")) { next = next.nextElementSibling; }
    focusedCard = { id: card.id, next: next ? next.id : null, inside: active !== card && active.id ? active.id : null };
  }
  function restoreFocus() {
    if (!focusedCard) { return; }
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) { focusedCard = null; return; }
    var again = (focusedCard.inside && document.getElementById(focusedCard.inside)) ||
      document.getElementById(focusedCard.id) || (focusedCard.next && document.getElementById(focusedCard.next));
    if (again) { again.focus({ preventScroll: true }); }
    focusedCard = null;
  }
  document.addEventListener("htmx:beforeSwap", function (event) { rememberFocus(event.detail && event.detail.target); });
  document.addEventListener("htmx:afterSettle", restoreFocus);
  document.addEventListener("htmx:oobBeforeSwap", function (event) { rememberFocus(event.detail && event.detail.target); });
  document.addEventListener("htmx:wsAfterMessage", restoreFocus);

  var dialogCard = null;  // the card whose merge is being confirmed: focus goes back to it

  // A card lists the controls that apply to it (data-acts); they are built here from the templates
  // rendered once per page (moderation/_card_templates.html), with the card's id and version.
  function within(root, selector) {
    var found = root.matches && root.matches(selector) ? [root] : [];
    return found.concat(Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(selector) : []));
  }
  function build(root) {
    within(root, ".qcard-actions[data-acts]").forEach(function (box) {
      var card = box.closest(".qcard");
      if (box.dataset.built || !card) { return; }
      var id = card.dataset.question;
      box.dataset.acts.split(" ").forEach(function (act) {
        var template = document.getElementById("act-" + act);
        if (!template) { return; }
        var part = template.content.cloneNode(true);
        part.querySelectorAll("[data-path]").forEach(function (el) {
          var path = el.dataset.path.replace("{id}", id).replace("{answer}", box.dataset.answer || "");
          el.setAttribute(el.tagName === "FORM" ? "action" : "href", path);
          el.removeAttribute("data-path");
        });
        part.querySelectorAll("input[name=version]").forEach(function (input) {
          input.value = input.dataset.of === "answer" ? box.dataset.answerV : box.dataset.v;
        });
        part.querySelectorAll("[data-id]").forEach(function (el) { el.id = el.dataset.id + "-" + id; el.removeAttribute("data-id"); });
        part.querySelectorAll("[data-for]").forEach(function (el) { el.htmlFor = el.dataset.for + "-" + id; el.removeAttribute("data-for"); });
        var select = part.querySelector("select[name=department]");
        if (select) { select.dataset.selected = box.dataset.selected || ""; }
        if (act === "priority") {
          var levels = (template.dataset.levels || "").split("|");
          var now = parseInt(box.dataset.p || "0", 10);
          var next = (now + 1) % 3;
          part.querySelector("input[name=priority]").value = String(next);
          part.querySelector("button").textContent = template.dataset.label + ": " + levels[now] + " → " + levels[next];
        }
        var hint = box.querySelector(".route-hint");
        if (act === "route" && hint) { box.insertBefore(part, hint.nextSibling); } else { box.appendChild(part); }
      });
      box.dataset.built = "1";
    });
  }
  function fill(root) { build(root); }

  // The built forms post with htmx and the answer replaces their card.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-card-form") || event.defaultPrevented || !window.htmx) { return; }
    var card = form.closest(".qcard");
    if (!card) { return; }
    event.preventDefault();
    htmx.ajax("POST", form.getAttribute("action"), { source: form, target: card, swap: "outerHTML" });
  });
  // "Show all" loads the whole card; "merge…" opens the confirmation (showing the target) in the page's dialog.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-full], [data-merge]") : null;
    var card = button ? button.closest(".qcard") : null;
    if (!card || !window.htmx) { return; }
    event.preventDefault();
    var path = "/moderation/questions/" + card.dataset.question;
    if (button.hasAttribute("data-full")) {
      htmx.ajax("GET", path + "/card?full=1", { target: card, swap: "outerHTML" });
    } else {
      dialogCard = card.id;
      htmx.ajax("GET", path + "/merge?target_id=" + encodeURIComponent(button.dataset.merge), { target: "#confirm-body", swap: "innerHTML" });
    }
  });

  // The merge confirmation: the card's "merge" control loads it into the page's one dialog.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "confirm-body") { return; }
    var dialog = document.getElementById("confirm-dialog");
    if (dialog && !dialog.open) { dialog.showModal(); }
    var confirm = target.querySelector("button[type=submit]");
    if (confirm) { confirm.focus(); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    var dialog = form instanceof HTMLFormElement ? form.closest("dialog") : null;
    if (dialog && dialog.open) { dialog.close(); }
  });
  document.addEventListener("click", function (event) {
    var close = event.target instanceof Element ? event.target.closest("[data-close-dialog]") : null;
    var dialog = close ? close.closest("dialog") : null;
    if (dialog) { event.preventDefault(); dialog.close(); }
  });
  document.addEventListener("close", function (event) {
    if (!(event.target instanceof HTMLDialogElement)) { return; }
    var card = dialogCard && document.getElementById(dialogCard);
    var active = document.activeElement;
    if (card && (!active || active === document.body || !document.body.contains(active))) { card.focus(); }
  }, true);

  // <select data-selected="x">: options are rendered once per page and shared by every card; each card
  // says which one is pre-selected (the current or suggested department).
  function preselect(root) {
    root.querySelectorAll("select[data-selected]").forEach(function (select) {
      if (!select.dataset.applied) { select.value = select.dataset.selected; select.dataset.applied = "1"; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fill(document); preselect(document); });

  // A moderator's unfinished choice on a card (a department picked, a note typed) survives live
  // re-renders of that card. The snapshot a socket sends on every (re)connect replaces the whole queue;
  // without this, a department picked just before it arrived silently went back to the suggestion and
  // the next click routed the question elsewhere. A choice is kept only while the card's version is
  // the one it was made on: once someone changed the question, the moderator looks again.
  var drafts = {};
  function fieldKey(field) {
    var card = field.closest(".qcard");
    if (!card || !card.id || !field.name || !field.form) { return null; }
    return card.id + "|" + (field.form.getAttribute("action") || "") + "|" + field.name;
  }
  function cardVersion(card) {
    var version = card.querySelector("input[name=version]");
    return version ? version.value : "";
  }
  function isDraftField(field) {
    return (field instanceof HTMLSelectElement || field instanceof HTMLTextAreaElement ||
      (field instanceof HTMLInputElement && field.type !== "hidden" && field.type !== "submit"));
  }
  function remember(event) {
    var field = event.target;
    if (!isDraftField(field)) { return; }
    var key = fieldKey(field);
    if (key) { drafts[key] = { value: field.value, version: cardVersion(field.closest(".qcard")) }; }
  }
  document.addEventListener("input", remember);
  document.addEventListener("change", remember);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    Array.prototype.forEach.call(form.elements, function (field) {
      var key = isDraftField(field) ? fieldKey(field) : null;
      if (key) { delete drafts[key]; }
    });
  });
  function restoreDrafts(root) {
    var found = root.matches && root.matches(".qcard") ? [root] : Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(".qcard") : []);
    found.forEach(function (card) {
      card.querySelectorAll("select, input, textarea").forEach(function (field) {
        var key = isDraftField(field) ? fieldKey(field) : null;
        var draft = key ? drafts[key] : null;
        if (!draft) { return; }
        if (draft.version === cardVersion(card)) {
          field.value = draft.value;
          field.dataset.applied = "1";
        } else {
          delete drafts[key];
        }
      });
    });
  }
  // Out-of-band swaps are synchronous: restore in the same turn, before any click can read the form.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var swapped = event.target;
    if (!(swapped instanceof Element)) { return; }
    fill(swapped);
    preselect(swapped.parentElement || document);
    restoreDrafts(swapped);
    restoreFocus();
  });
  document.addEventListener("htmx:load", function (event) {
    fill(event.target);
    preselect(event.target.parentElement || document);
  });

  // <small data-count-for="id">: a live character counter for a textarea without maxlength, so a pasted
  // text is never cut silently; past the limit it says by how much (the server refuses it, text kept).
  function updateCount(counter) {
    var field = document.getElementById(counter.dataset.countFor);
    if (!field) { return; }
    var max = parseInt(counter.dataset.max, 10);
    var n = field.value.length;
    var over = n > max;
    counter.querySelector(".char-count-figure").textContent =
      counter.dataset.text.replace("{n}", String(n)).replace("{max}", String(max));
    var message = over ? counter.dataset.over.replace("{extra}", String(n - max)) : "";
    var overText = counter.querySelector(".char-count-over");
    if (overText.textContent !== message) { overText.textContent = message; }
    counter.classList.toggle("over", over);
    if (over) { field.setAttribute("aria-invalid", "true"); } else if (!field.dataset.serverInvalid) { field.removeAttribute("aria-invalid"); }
  }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.id) { return; }
    var counter = document.querySelector('[data-count-for="' + field.id + '"]');
    if (counter) { updateCount(counter); }
  });

  // After a refused submit the page comes back with the fields marked: take the citizen (on a phone,
  // often thousands of pixels away) to the first one and put the cursor there.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-count-for]").forEach(function (counter) {
      var field = document.getElementById(counter.dataset.countFor);
      if (field && field.getAttribute("aria-invalid") === "true") { field.dataset.serverInvalid = "1"; }
      updateCount(counter);
    });
    var invalid = document.querySelector('main form [aria-invalid="true"]');
    if (invalid) {
      invalid.scrollIntoView({ block: "center" });
      invalid.focus({ preventScroll: true });
    }
  });

  // Toasts (qa_app/web/toasts.py, templates/_toast.html), all in the one #toasts region (role=status, so
  // they are announced): rendered with the page (after a redirect, a split's undo), added by an htmx
  // answer's HX-Trigger "qa:toast" (showToast), or swapped in by htmx (an action's undo toast, out of
  // band; the undo's answer in place of its toast). Each goes after its data-toast-ms: 6 s, 10 s with an
  // undo. A new undo toast removes the older ones: "u" takes back the latest action only.
  var TOAST_MS = 6000;
  function armToast(toast) {
    if (toast.dataset.armed) { return; }
    toast.dataset.armed = "1";
    var region = toast.parentElement;
    if (region && toast.querySelector("[data-undo]")) {
      region.querySelectorAll(".toast").forEach(function (other) {
        if (other !== toast && other.querySelector("[data-undo]")) { other.remove(); }
      });
    }
    function expire() {
      // An undo on its way keeps its toast: the answer takes its place.
      if (toast.querySelector(".htmx-request")) { setTimeout(expire, 1000); } else { toast.remove(); }
    }
    setTimeout(expire, parseInt(toast.dataset.toastMs, 10) || TOAST_MS);
  }
  function armToasts(region) {
    Array.prototype.forEach.call(region.children, function (child) {
      if (child.classList.contains("toast")) { armToast(child); }
    });
  }
  function showToast(message) {
    var region = document.getElementById("toasts");
    if (!region || !message) { return; }
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.dataset.toastMs = String(TOAST_MS);
    toast.textContent = message;
    region.appendChild(toast);
    armToast(toast);
  }
  document.addEventListener("qa:toast", function (event) { showToast(event.detail && event.detail.message); });
  document.addEventListener("DOMContentLoaded", function () {
    var region = document.getElementById("toasts");
    if (!region) { return; }
    armToasts(region);
    new MutationObserver(function () { armToasts(region); }).observe(region, { childList: true });
  });

  // Live regions show whether their websocket is connected; the ws extension reconnects by itself
  // and the server sends a fresh snapshot on every (re)connect.
  function setLiveState(element, state) {
    var holder = element.closest("[ws-connect]");
    if (holder) { holder.setAttribute("data-live", state); }
  }
  document.addEventListener("htmx:wsOpen", function (event) { setLiveState(event.target, "open"); });
  document.addEventListener("htmx:wsClose", function (event) { setLiveState(event.target, "closed"); });
  document.addEventListener("htmx:wsError", function (event) { setLiveState(event.target, "closed"); });
})();
