// 长辈版 / 标准版 in place: the switch link (templates/_view_switch.html) is fetched, the server
// answers 204 with the cookie set, and the page's class and the link change without a reload, so
// the reader keeps their place. Without this script the link is followed: the server sets the
// cookie and sends the reader back to the page.
(function () {
  "use strict";

  const LABELS = { elder: "长辈版", standard: "标准版" };

  document.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    const link = target && target.closest("a[data-view-switch]");
    if (!link || !window.fetch || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    const mode = link.dataset.viewSwitch;
    fetch(link.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status !== 204) { throw new Error("switch refused"); }
        const other = mode === "elder" ? "standard" : "elder";
        document.documentElement.classList.toggle("elder", mode === "elder");
        link.dataset.viewSwitch = other;
        link.href = link.dataset[other + "Url"];
        link.querySelector(".view-switch-label").textContent = LABELS[other];
        link.setAttribute("aria-label", "切换到" + LABELS[other]);
      })
      .catch(function () { window.location.href = link.href; });
  });
})();
