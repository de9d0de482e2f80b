// Live intake form: post the form to the server, which evaluates the matter's rules (one
// interpreter), and show which fields are visible and required and how eligibility stands.
(function () {
  const form = document.getElementById("intake-form");
  if (!form) { return; }
  const verdicts = {eligible: ["符合条件", "badge-success"], ineligible: ["不符合", "badge-danger"],
                    pending: ["待核对", "badge-secondary"]};
  let timer = null;

  function lines(box, texts, prefix, css) {
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
      const mark = el.querySelector(".required-mark");
      if (mark) { mark.hidden = state.required.indexOf(path) < 0; }
    });
    form.querySelectorAll(".derived").forEach(function (el) {
      const path = el.dataset.derived;
      const born = state.derived[path + ".birth_date"];
      el.textContent = born ? "出生日期 " + born + "，" + (state.derived[path + ".sex"] === "male" ? "男" : "女") +
        "，" + state.derived[path + ".age"] + " 周岁" : "";
    });
    const panel = document.getElementById("eligibility");
    const badge = panel.querySelector(".verdict");
    badge.textContent = verdicts[state.verdict][0];
    badge.className = "badge verdict verdict-" + state.verdict + " " + verdicts[state.verdict][1];
    lines(panel.querySelector(".unmet"), state.unmet, "未满足：", "text-danger");
    lines(panel.querySelector(".applies"), state.applies, "不予受理：", "text-danger");
    lines(panel.querySelector(".checklist"), state.checklist.filter(function (c) { return !c.confirmed; })
      .map(function (c) { return c.text; }), "待核实：", "text-muted");
  }

  function check() {
    fetch(form.dataset.check, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { apply(state); } });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
  form.addEventListener("change", check);
})();
