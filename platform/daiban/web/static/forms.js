// Forms for every user, keyboard and screen reader included (issue 18):
//   [data-focus-on-load]   the error summary (or a refusal) takes the focus when the page opens, so
//                          it is read first; it is where a refused form's page starts
//   .error-summary a       a link to a field moves the focus into that field (a plain fragment link
//                          only scrolls), opening the folded <details> around it, with its label in view
//   [data-dismiss=alert]   closing a message hands the focus to the page's main content, not to
//                          nowhere (Bootstrap removes the button that had it)
(function () {
  "use strict";

  const CONTROLS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])";

  function open(element) {
    for (let folded = element.closest("details"); folded; folded = folded.parentElement.closest("details")) {
      folded.open = true;
    }
  }

  function labelOf(control) {
    const named = control.id ? document.querySelector("label[for='" + CSS.escape(control.id) + "']") : null;
    const legend = control.closest("fieldset") ? control.closest("fieldset").querySelector("legend") : null;
    return named && named.getClientRects().length && named.offsetWidth > 1 ? named : legend;
  }

  function moveTo(target) {
    open(target);
    const control = target.matches(CONTROLS) ? target : target.querySelector(CONTROLS);
    const focused = control || target;
    if (!control && !focused.hasAttribute("tabindex")) { focused.setAttribute("tabindex", "-1"); }
    focused.focus({preventScroll: true});
    const label = control ? labelOf(control) : null;
    // The label above the field in view as well, as the GOV.UK summary does.
    (label && label.getBoundingClientRect().top < focused.getBoundingClientRect().top ? label : focused)
      .scrollIntoView({block: "start"});
    window.scrollBy(0, -16);
  }

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    const link = target.closest(".error-summary a[href^='#']");
    if (link) {
      const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (field) {
        event.preventDefault();
        moveTo(field);
      }
      return;
    }
    if (target.closest("[data-dismiss='alert']")) {
      const main = document.getElementById("main");
      if (main) { window.setTimeout(function () { main.focus(); }, 0); }
    }
  });

  const first = document.querySelector("[data-focus-on-load]");
  if (first) {
    first.focus();
    first.scrollIntoView({block: "start"});
  }
})();
