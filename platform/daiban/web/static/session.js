// The session's clock on the admin's pages (web/sessions.py). Two minutes before the idle
// sign-out a dialog counts down, with 继续使用 and 退出登录 (WCAG 2.2.1). Once the session has
// ended, a dialog over the page signs the same account in again in place: what was typed stays
// on the page, and the page's forms get the new session's CSRF token. Nothing is kept in browser
// storage; the page's content lives in the page only.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !window.fetch || typeof HTMLDialogElement !== "function") { return; }
  const conf = script.dataset;
  const ownFetch = window.fetch.bind(window);
  let token = conf.csrf;
  let deadline = 0;       // when the session ends (Date.now() ms), as the server last said
  let shown = null;       // the dialog on the screen: null, "warning" or "expired"
  let acknowledged = false;
  let returnFocus = null;
  let timer = null;
  let ticker = null;
  let warningSeconds = 120;  // the server's last word; signed out, a sign-in elsewhere is looked for at half of it
  let epoch = 0;          // moves on at each sign-in: answers about the session before are stale

  // Other scripts' requests (the intake form's live checks) wait while a dialog is up: during the
  // warning they are not the agent's doing (showing it takes the focus, and a field's change
  // fires) and must not renew the session behind the countdown's back; once the session is gone
  // they wait for the sign-in and then carry the new token. The sign-in waits until those
  // already sent have come back, so that no answer to a request made with the old cookie
  // arrives after the new one was set.
  let inFlight = 0;
  let quietWaiters = [];
  let gate = null;
  let openGate = null;

  function settle() {
    inFlight -= 1;
    if (inFlight === 0) { quietWaiters.forEach(function (resolve) { resolve(); }); quietWaiters = []; }
  }

  function quiet(ms) {
    if (inFlight === 0) { return Promise.resolve(); }
    return new Promise(function (resolve) { quietWaiters.push(resolve); setTimeout(resolve, ms); });
  }

  window.fetch = function (input, init) {
    function send() {
      if (init && init.body instanceof FormData && init.body.has("csrf_token")) {
        init.body.set("csrf_token", token);  // made before the sign-in: the token then is dead
      }
      inFlight += 1;
      return ownFetch(input, init).finally(settle);
    }
    return gate ? gate.then(send) : send();
  };

  function holdRequests() {
    if (!gate) { gate = new Promise(function (resolve) { openGate = resolve; }); }
  }

  function releaseRequests() {
    if (gate) { openGate(); gate = null; }
  }

  function dialog(className, html) {
    const box = document.createElement("dialog");
    box.className = "session-dialog " + className;
    box.innerHTML = html;
    document.body.appendChild(box);
    return box;
  }

  const warning = dialog("session-warning",
    '<h2 class="h5" id="session-warning-title"></h2>' +
    '<p id="session-warning-text"></p>' +
    '<div class="session-actions">' +
    '<button type="button" class="btn btn-primary session-renew">继续使用</button>' +
    '<button type="button" class="btn btn-outline-secondary session-close" hidden>知道了</button>' +
    '<form method="post" class="session-logout"><input type="hidden" name="csrf_token">' +
    '<button type="submit" class="btn btn-outline-secondary">退出登录</button></form></div>');
  warning.setAttribute("role", "alertdialog");
  warning.setAttribute("aria-labelledby", "session-warning-title");
  warning.setAttribute("aria-describedby", "session-warning-text");
  warning.querySelector(".session-logout").action = conf.logout;

  const expired = dialog("session-expired",
    '<h2 class="h5" id="session-expired-title">登录已超时，请重新登录</h2>' +
    '<p id="session-expired-text">为保护群众信息，长时间未操作已自动退出登录。页面上填写的内容都还在，' +
    "输入密码重新登录后可接着办理。</p>" +
    '<form class="session-sign-in" novalidate>' +
    '<div class="form-group"><label for="session-username">用户名</label>' +
    '<input class="form-control" id="session-username" name="username" autocomplete="username" readonly></div>' +
    '<div class="form-group"><label for="session-password">密码</label>' +
    '<input class="form-control" type="password" id="session-password" name="password" autocomplete="current-password"></div>' +
    '<div class="alert alert-danger session-error" role="alert" hidden></div>' +
    '<button type="submit" class="btn btn-primary btn-block">登录</button></form>' +
    '<p class="small mt-3 mb-0"><a class="session-other">换个账号登录</a>（将离开本页，本页未提交的内容不会保留）</p>');
  expired.setAttribute("aria-labelledby", "session-expired-title");
  expired.setAttribute("aria-describedby", "session-expired-text");
  const signInForm = expired.querySelector(".session-sign-in");
  signInForm.username.value = conf.username;
  expired.querySelector(".session-other").href = conf.login;

  const announcer = document.createElement("div");
  announcer.className = "sr-only";
  announcer.setAttribute("aria-live", "polite");
  document.body.appendChild(announcer);

  function useToken(fresh) {
    token = fresh;
    document.querySelectorAll("input[name='csrf_token']").forEach(function (input) { input.value = fresh; });
  }

  function open(box) {
    if (!returnFocus) { returnFocus = document.activeElement; }
    if (!box.open) { box.showModal(); }
  }

  function closeAll() {
    clearInterval(ticker);
    [warning, expired].forEach(function (box) { if (box.open) { box.close(); } });
    shown = null;
    if (returnFocus && document.contains(returnFocus)) { returnFocus.focus(); }
    returnFocus = null;
    releaseRequests();
  }

  function inWords(seconds) {
    return seconds >= 60 ? Math.floor(seconds / 60) + " 分 " + (seconds % 60) + " 秒" : seconds + " 秒";
  }

  function tick() {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    warning.querySelector(".session-countdown").textContent = inWords(left);
  }

  function warn(renewable) {
    if (shown === "expired" || (!renewable && acknowledged)) { return; }
    if (shown !== "warning") {
      warning.querySelector("h2").textContent = renewable ? "即将因长时间未操作而退出登录" : "即将达到最长登录时长";
      warning.querySelector("p").innerHTML = renewable
        ? '为保护群众信息，<strong class="session-countdown"></strong>后将自动退出登录。要接着办理，请点“继续使用”。'
        : '登录时长即将达到上限，<strong class="session-countdown"></strong>后需要重新登录；' +
          "页面上填写的内容会保留，届时输入密码即可接着办理。";
      warning.querySelector(".session-renew").hidden = !renewable;
      warning.querySelector(".session-close").hidden = renewable;
      holdRequests();
      open(warning);
      warning.querySelector(renewable ? ".session-renew" : ".session-close").focus();
      shown = "warning";
      ticker = setInterval(tick, 1000);
    }
    tick();
  }

  function end() {
    if (shown === "expired") { return; }
    clearInterval(ticker);
    if (warning.open) { warning.close(); }
    holdRequests();
    document.documentElement.classList.add("session-ended");
    shown = "expired";
    open(expired);
    signInForm.password.focus();
  }

  function schedule(state) {
    clearTimeout(timer);
    // Signed in as someone else (in another tab) counts as ended for this page: it is not theirs.
    const mine = state.signed_in && state.username === conf.username;
    if (shown === "expired" || !mine) {
      if (shown === "expired" && mine) { resume(state); return; }  // signed in again in another tab
      end();
      timer = setTimeout(check, Math.min(10, warningSeconds / 2) * 1000);
      return;
    }
    warningSeconds = state.warning_seconds;
    deadline = Date.now() + state.seconds_left * 1000;
    const untilWarning = state.seconds_left - state.warning_seconds;
    if (untilWarning > 0) {
      if (shown === "warning") { closeAll(); }
      acknowledged = false;
      timer = setTimeout(check, untilWarning * 1000);
    } else {
      warn(state.renewable);
      // Ask again now and then: work in another tab renews this same session.
      timer = setTimeout(check, Math.min(state.seconds_left + 1, 15) * 1000);
    }
  }

  // Back to work on the same page: the new session's token in every form, the page shown again,
  // and the requests that waited sent.
  function resume(state) {
    epoch += 1;
    useToken(state.csrf_token || token);
    document.documentElement.classList.remove("session-ended");
    expired.querySelector(".session-error").hidden = true;
    closeAll();
    announcer.textContent = "已重新登录，页面上填写的内容都已保留";
    schedule(state);
  }

  function check() {
    clearTimeout(timer);
    const asked = epoch;
    ownFetch(conf.status, {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (state) { if (asked === epoch) { schedule(state); } }, function () {
        // No network (a home visit far from a mast): the clock still runs out here.
        if (deadline && Date.now() > deadline) { end(); }
        timer = setTimeout(check, 10000);
      });
  }

  function renew() {
    ownFetch(conf.renew, {method: "POST", credentials: "same-origin",
                          headers: {"X-CSRFToken": token, Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (state) { closeAll(); schedule(state); }, check);
  }

  function refuse(message) {
    const box = expired.querySelector(".session-error");
    box.textContent = message;
    box.hidden = false;
    signInForm.password.focus();
  }

  function signIn(event) {
    event.preventDefault();
    const password = signInForm.password.value;
    if (!password) { refuse("请填写密码"); return; }
    const button = signInForm.querySelector("button[type='submit']");
    button.disabled = true;
    quiet(5000)
      .then(function () {
        return ownFetch(conf.signIn, {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", Accept: "application/json"},
          body: JSON.stringify({username: signInForm.username.value, password: password, owner: conf.owner}),
        });
      })
      .then(function (r) { return r.json().catch(function () { return {ok: false, message: "未能登录，请稍后重试"}; }); })
      .then(function (answer) {
        signInForm.password.value = "";
        if (answer.ok) { resume(answer); } else { refuse(answer.message); }
      }, function () { refuse("网络不通，未能登录，请稍后重试"); })
      .finally(function () { button.disabled = false; });
  }

  // Typing is activity. Other background requests (the live checks) never write the session
  // cookie (web/sessions.py: their late answers would put an old one back), so while the agent
  // works the page renews the session itself, at most once a minute and never behind a dialog.
  let lastRenewal = Date.now();
  function active() {
    if (shown !== null || Date.now() - lastRenewal < 60000) { return; }
    lastRenewal = Date.now();
    renew();
  }
  document.addEventListener("input", active, true);
  document.addEventListener("keydown", active, true);
  warning.querySelector(".session-renew").addEventListener("click", renew);
  warning.querySelector(".session-close").addEventListener("click", function () { acknowledged = true; closeAll(); });
  warning.addEventListener("cancel", function (event) {
    event.preventDefault();  // Esc: someone is there, as with 继续使用 (or 知道了)
    if (warning.querySelector(".session-renew").hidden) { acknowledged = true; closeAll(); } else { renew(); }
  });
  expired.addEventListener("cancel", function (event) { event.preventDefault(); });
  signInForm.addEventListener("submit", signIn);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { check(); }
  });
  warning.querySelector("input[name='csrf_token']").value = token;
  check();
})();
