// Behaviour that pages ask for with data attributes, since the Content-Security-Policy refuses
// inline script and on*= handlers:
//   data-confirm="…"    on a form, or on a button or link: ask before submitting or following
//   data-autosubmit     on a form control: submit its form when the value changes
//   data-print          on a button: print the page
//   data-model-action   on a Flask-Admin bulk-action menu item: run that action
// Listeners sit on the document, so the script may load anywhere and works for later content;
// clicks are caught on the way down, before handlers that stop them (Flask-Admin's dropdown hack
// stops the clicks on menu toggles, which are javascript: links).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    const asking = target.closest("[data-confirm]:not(form)");
    if (asking && !window.confirm(asking.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const printing = target.closest("[data-print]");
    if (printing) {
      event.preventDefault();
      window.print();
      return;
    }
    const action = target.closest("[data-model-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.dataset.modelAction);
      return;
    }
    // Flask-Admin's menus and tabs use href="javascript:void(0)"; following one does nothing
    // but would be reported as a policy violation, so do not follow them.
    const scripted = target.closest("a[href^='javascript:']");
    if (scripted) { event.preventDefault(); }
  }, true);

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    const control = event.target;
    if (control instanceof Element && control.hasAttribute("data-autosubmit") && control.form) {
      if (control.form.requestSubmit) { control.form.requestSubmit(); } else { control.form.submit(); }
    }
  });
})();
