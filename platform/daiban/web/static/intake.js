// Live intake form: post the form to the server, which evaluates the matter's rules (one
// interpreter), and show which fields are visible and required and how eligibility stands.
(function () {
  const form = document.getElementById("intake-form");
  if (!form) { return; }
  const verdicts = {eligible: ["符合条件", "badge-success"], ineligible: ["不符合", "badge-danger"],
                    pending: ["待核对", "badge-secondary"]};
  let timer = null;

  // The panel is an aria-live region: it is only written when what it says changes, so a screen
  // reader hears a new verdict or condition once, not the whole panel at every keystroke.
  function lines(box, texts, prefix, css) {
    const wanted = texts.map(function (text) { return prefix + text; });
    const shown = Array.prototype.map.call(box.children, function (div) { return div.textContent; });
    if (wanted.join("\n") === shown.join("\n")) { return; }
    box.textContent = "";
    texts.forEach(function (text) {
      const div = document.createElement("div");
      div.className = css;
      div.textContent = prefix + text;
      box.appendChild(div);
    });
  }

  function apply(state) {
    form.querySelectorAll(".intake-field").forEach(function (el) {
      const path = el.dataset.field;
      const top = path.split(".")[0];
      const visible = state.visible.indexOf(path) >= 0 || (path.indexOf(".") > 0 && state.visible.indexOf(top) >= 0);
      el.hidden = !visible;
      // The field's own mark (a group's legend holds its rows' marks too); the star and the
      // words （必填） for a screen reader come and go together. A group's column marked required
      // in the config stays marked in every row, the empty row the table offers included.
      const mark = el.querySelector("[data-mark-for='" + path + "']");
      if (mark) { mark.hidden = !mark.hasAttribute("data-required-always") && state.required.indexOf(path) < 0; }
    });
    form.querySelectorAll(".derived").forEach(function (el) {
      const path = el.dataset.derived;
      const born = state.derived[path + ".birth_date"];
      el.textContent = born ? "出生日期 " + born + "，" + (state.derived[path + ".sex"] === "male" ? "男" : "女") +
        "，" + state.derived[path + ".age"] + " 周岁" : "";
    });
    const panel = document.getElementById("eligibility");
    const badge = panel.querySelector(".verdict");
    if (badge.textContent !== verdicts[state.verdict][0]) {
      badge.textContent = verdicts[state.verdict][0];
      badge.className = "badge verdict verdict-" + state.verdict + " " + verdicts[state.verdict][1];
    }
    lines(panel.querySelector(".unmet"), state.unmet, "未满足：", "text-danger");
    lines(panel.querySelector(".applies"), state.applies, "不予受理：", "text-danger");
    lines(panel.querySelector(".checklist"), state.checklist.filter(function (c) { return !c.confirmed; })
      .map(function (c) { return c.text; }), "待核实：", "text-muted");
    showActing(state.acting);
  }

  // The 办理人 block: the guardian's fields when a guardian must be named, the agent's line when
  // the agent acts, and what the server says about the role, as the agent types.
  function showActing(acting) {
    if (!acting) { return; }
    const guardian = form.querySelector(".acting-guardian");
    if (guardian) { guardian.hidden = !acting.guardian; }
    const role = form.querySelector("[name='acting-role']");
    const agentLine = form.querySelector(".acting-agent");
    if (agentLine && role) { agentLine.hidden = role.value !== "agent"; }
    if (!role) { return; }
    const box = role.parentElement;
    box.querySelectorAll(".acting-error").forEach(function (el) { el.remove(); });
    const messages = acting.errors["acting.role"] || [];
    role.classList.toggle("is-invalid", messages.length > 0);
    // Marked and described as the server writes it (aria-invalid, the messages' ids).
    if (messages.length) {
      role.setAttribute("aria-invalid", "true");
      role.setAttribute("aria-describedby", messages.map(function (_, i) { return "acting-role-error-" + (i + 1); }).join(" "));
    } else {
      role.removeAttribute("aria-invalid");
      role.removeAttribute("aria-describedby");
    }
    messages.slice().reverse().forEach(function (text, i) {
      const div = document.createElement("div");
      div.className = "invalid-feedback d-block acting-error";
      div.id = "acting-role-error-" + (messages.length - i);
      div.textContent = text;
      role.insertAdjacentElement("afterend", div);
    });
  }

  // Keep the role in step with the mode (代办 is acted by the agent) and with a matter's own
  // "applicant_type" choice where its value names a role.
  function follow(event) {
    const role = form.querySelector("[name='acting-role']");
    const target = event.target;
    if (!role || !(target instanceof Element)) { return; }
    if (target.name === "mode") {
      if (target.value === "proxy") { role.value = "agent"; } else if (role.value === "agent") { role.value = "self"; }
    } else if (target.name === "applicant_type" && ["self", "guardian", "agent"].indexOf(target.value) >= 0) {
      role.value = target.value;
      const mode = form.querySelector("[name='mode']");
      if (mode && mode.querySelector("option[value='proxy']")) {
        if (target.value === "agent") { mode.value = "proxy"; } else if (mode.value === "proxy") { mode.value = "assist"; }
      }
    }
  }

  function check() {
    fetch(form.dataset.check, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { apply(state); } });
  }

  // A household table wider than its column scrolls sideways: say so, under the table, while it does.
  function hintScrolling() {
    form.querySelectorAll(".group-scroll").forEach(function (box) {
      const hint = box.parentElement.querySelector(".group-scroll-hint");
      if (hint) { hint.hidden = box.scrollWidth <= box.clientWidth + 1; }
    });
  }
  hintScrolling();
  window.addEventListener("resize", hintScrolling);

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
  form.addEventListener("change", function (event) { follow(event); check(); });
})();
