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
