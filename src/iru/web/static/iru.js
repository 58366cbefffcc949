/* iru workbench behaviour: charts, the neighbourhood graph, deadline countdowns, decision
 * keyboard shortcuts, media reveal and the queue's remembered sort.
 *
 * Plain ES2020, no build step, no inline handlers (CSP-friendly). Every feature looks for
 * its elements and does nothing when they are absent; init() is idempotent and runs on
 * DOMContentLoaded and again after each htmx swap.
 *
 * Hooks set for tests: canvas[data-chart][data-drawn="true"] once a chart is drawn;
 * #graph[data-drawn="true"][data-nodes=N] once the neighbourhood is drawn (data-error on
 * failure); .countdown[data-ticking="true"] once a countdown is live;
 * #decision-form[data-armed=<decision>] after a shortcut.
 */
(() => {
  "use strict";

  // Colour-blind-safe palette (Okabe–Ito, darkened where needed for contrast).
  const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#6a3d9a", "#8c6d31", "#444444", "#b2182b"];
  const NODE_COLOURS = { target: "#c0392b", supporter: "#e67e22", at_risk: "#2471a3", other: "#8c959f" };

  // Offset between the server's clock (body[data-now]) and this browser's, so that
  // countdowns agree with the server (and with a test's fixed clock).
  let clockOffset = 0;

  const $all = (root, sel) => Array.from((root || document).querySelectorAll(sel));

  function readJSON(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent || "null");
    } catch (_err) {
      return null;
    }
  }

  function toast(text) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    window.clearTimeout(toast.timer);
    toast.timer = window.setTimeout(() => { el.hidden = true; }, 8000);
  }

  // ---- charts ---------------------------------------------------------------------

  function volumeChart(rows) {
    const days = [...new Set(rows.map((r) => r.day))].sort();
    const languages = [...new Set(rows.map((r) => r.language || "und"))].sort();
    const index = new Map(days.map((d, i) => [d, i]));
    const datasets = languages.map((lang, i) => {
      const data = new Array(days.length).fill(0);
      for (const r of rows) {
        if ((r.language || "und") === lang) data[index.get(r.day)] += Number(r.posts) || 0;
      }
      return { label: lang, data, backgroundColor: PALETTE[i % PALETTE.length], stack: "posts" };
    });
    return {
      type: "bar",
      data: { labels: days, datasets },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "posts" } } },
      },
    };
  }

  function outcomesChart(rows) {
    const labels = rows.map((r) => (r.kind && r.kind !== "referral" ? `${r.platform} (${String(r.kind).replace("_", " ")})` : r.platform));
    return {
      type: "bar",
      data: {
        labels,
        datasets: [
          {
            label: "removal rate (%)",
            data: rows.map((r) => (r.removal_rate == null ? null : Math.round(r.removal_rate * 1000) / 10)),
            backgroundColor: PALETTE[2],
            yAxisID: "y",
          },
          {
            label: "median hours to removal",
            data: rows.map((r) => r.median_hours_to_removal),
            backgroundColor: PALETTE[1],
            yAxisID: "y1",
          },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, max: 100, position: "left", title: { display: true, text: "%" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "hours" } },
        },
      },
    };
  }

  function reachChart(rows) {
    const sorted = [...rows].sort((a, b) => String(a.day).localeCompare(String(b.day)));
    return {
      type: "line",
      data: {
        labels: sorted.map((r) => r.day),
        datasets: [
          { label: "at-risk reach", data: sorted.map((r) => r.at_risk_reach), borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: "y", tension: 0.2 },
          { label: "supporters active", data: sorted.map((r) => r.supporters_active), borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: "y1", borderDash: [5, 3], tension: 0.2 },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, position: "left", title: { display: true, text: "reach" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "supporters" } },
        },
      },
    };
  }

  // Counter-messaging: exposures of each side per day (bars) and the share of voice (line, %).
  function shareChart(rows) {
    const sorted = [...rows].sort((a, b) => String(a.day).localeCompare(String(b.day)));
    return {
      type: "bar",
      data: {
        labels: sorted.map((r) => r.day),
        datasets: [
          { label: "propaganda exposures", data: sorted.map((r) => Number(r.propaganda) || 0), backgroundColor: PALETTE[1], yAxisID: "y" },
          { label: "counter-speech exposures", data: sorted.map((r) => Number(r.counter) || 0), backgroundColor: PALETTE[2], yAxisID: "y" },
          {
            type: "line",
            label: "share of voice (%)",
            data: sorted.map((r) => (r.share == null ? null : Math.round(r.share * 10000) / 100)),
            borderColor: PALETTE[0],
            backgroundColor: PALETTE[0],
            yAxisID: "y1",
            tension: 0.2,
          },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, position: "left", title: { display: true, text: "exposures" } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "%" } },
        },
      },
    };
  }

  const CHARTS = { volume: volumeChart, outcomes: outcomesChart, reach: reachChart, share: shareChart };

  function initCharts(root) {
    const canvases = $all(root, "canvas[data-chart]:not([data-drawn])");
    if (!canvases.length || typeof window.Chart === "undefined") return;
    window.Chart.defaults.animation = false;
    window.Chart.defaults.maintainAspectRatio = false;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    for (const canvas of canvases) {
      const name = canvas.dataset.chart;
      const build = CHARTS[name];
      const rows = readJSON(`chart-${name}`);
      if (!build || !Array.isArray(rows)) continue;
      try {
        const config = build(rows);
        config.options = Object.assign({ responsive: true, interaction: { mode: "index", intersect: false } }, config.options);
        new window.Chart(canvas, config);
        canvas.dataset.drawn = "true";
      } catch (err) {
        canvas.dataset.error = String(err && err.message ? err.message : err);
      }
    }
  }

  // ---- network neighbourhood --------------------------------------------------------

  function sameOriginPath(href) {
    return typeof href === "string" && href.startsWith("/") && !href.startsWith("//");
  }

  function fillGraphList(nodes) {
    const list = document.getElementById("graph-list");
    if (!list) return;
    list.replaceChildren();
    for (const n of nodes) {
      const d = n.data || {};
      const li = document.createElement("li");
      let label = document.createTextNode(d.label || d.id);
      if (sameOriginPath(d.href)) {
        const a = document.createElement("a");
        a.href = d.href;
        a.textContent = d.label || d.id;
        label = a;
      }
      li.append(label, document.createTextNode(` — ${String(d.kind || "other").replace("_", " ")}`));
      list.append(li);
    }
  }

  async function drawGraph(el) {
    el.dataset.loading = "true";
    try {
      const response = await fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const graph = await response.json();
      const nodes = Array.isArray(graph.nodes) ? graph.nodes : [];
      const edges = Array.isArray(graph.edges) ? graph.edges : [];
      fillGraphList(nodes);
      if (typeof window.cytoscape === "undefined") throw new Error("graph library not loaded");
      el.replaceChildren();
      if (!nodes.length) {
        const p = document.createElement("p");
        p.className = "muted graph-loading";
        p.textContent = "No neighbour known.";
        el.append(p);
        el.dataset.nodes = "0";
        el.dataset.drawn = "true";
        return;
      }
      // Cytoscape injects a <style> into <head> unless an element with this id exists;
      // a strict CSP (style-src 'self') refuses that, and iru.css already positions #graph.
      if (!document.getElementById("__________cytoscape_stylesheet")) {
        const marker = document.createElement("meta");
        marker.id = "__________cytoscape_stylesheet";
        document.head.append(marker);
      }
      const weights = edges.map((e) => Number((e.data || {}).weight) || 1);
      const maxWeight = Math.max(1, ...weights);
      const cy = window.cytoscape({
        container: el,
        elements: { nodes, edges },
        style: [
          {
            selector: "node",
            style: {
              "background-color": (n) => NODE_COLOURS[n.data("kind")] || NODE_COLOURS.other,
              label: "data(label)",
              "font-size": 9,
              color: "#1b1f24",
              "text-valign": "bottom",
              "text-margin-y": 3,
              width: 16,
              height: 16,
            },
          },
          { selector: 'node[kind = "target"]', style: { width: 34, height: 34, "font-size": 12, "font-weight": "bold", "border-width": 3, "border-color": "#1b1f24" } },
          {
            selector: "edge",
            style: {
              width: (e) => 1 + 3 * ((Number(e.data("weight")) || 1) / maxWeight),
              "line-color": "#b6bec8",
              "curve-style": "bezier",
              "target-arrow-shape": "triangle",
              "target-arrow-color": "#b6bec8",
              "arrow-scale": 0.7,
            },
          },
          { selector: "node:selected", style: { "border-width": 3, "border-color": "#1f6feb" } },
        ],
        layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: () => 8000, idealEdgeLength: () => 60, padding: 12 },
      });
      cy.on("tap", "node", (evt) => {
        const href = evt.target.data("href");
        if (sameOriginPath(href)) window.location.assign(href);
      });
      cy.on("mouseover", "node[href]", () => { el.style.cursor = "pointer"; });
      cy.on("mouseout", "node", () => { el.style.cursor = ""; });
      el.dataset.nodes = String(cy.nodes().length);
      el.dataset.drawn = "true";
    } catch (err) {
      el.replaceChildren();
      const p = document.createElement("p");
      p.className = "notice notice-bad";
      p.textContent = `The neighbourhood could not be drawn (${err && err.message ? err.message : err}).`;
      el.append(p);
      el.dataset.error = "true";
    } finally {
      delete el.dataset.loading;
    }
  }

  function initGraphs(root) {
    for (const el of $all(root, "#graph[data-src]:not([data-drawn]):not([data-loading]):not([data-error])")) {
      if (!sameOriginPath(el.dataset.src)) continue;
      drawGraph(el);
    }
  }

  // ---- countdowns ---------------------------------------------------------------------

  function formatDuration(totalSeconds) {
    const s = Math.floor(Math.abs(totalSeconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    const pad = (x) => String(x).padStart(2, "0");
    return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
  }

  function tickCountdowns() {
    const now = Date.now() + clockOffset;
    for (const el of document.querySelectorAll(".countdown[data-due]")) {
      const status = el.dataset.status || "running";
      const due = Date.parse(el.dataset.due);
      if (Number.isNaN(due)) continue;
      if (status !== "running" && status !== "breached") {
        // A paused, met or closed clock does not move: say so and leave the server's text.
        if (!el.dataset.ticking) {
          el.dataset.ticking = "false";
          if (status === "paused") el.title = "the clock is paused";
        }
        continue;
      }
      const remaining = (due - now) / 1000;
      el.dataset.ticking = "true";
      if (remaining >= 0) {
        el.textContent = formatDuration(remaining);
        el.classList.remove("overdue");
        el.classList.toggle("soon", remaining < 15 * 60);
        el.dataset.overdue = "false";
      } else {
        el.textContent = `overdue by ${formatDuration(-remaining)}`;
        el.classList.add("overdue");
        el.classList.remove("soon");
        el.dataset.overdue = "true";
      }
    }
  }

  function startClock() {
    const serverNow = Date.parse(document.body ? document.body.dataset.now || "" : "");
    if (!Number.isNaN(serverNow)) clockOffset = serverNow - Date.now();
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
  }

  // ---- decision shortcuts ---------------------------------------------------------------

  const SHORTCUTS = { r: "refer", d: "dismiss", m: "monitor", h: "hold" };

  function isTyping(target) {
    if (!(target instanceof Element)) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  function armDecision(form, decision) {
    const button = form.querySelector(`button[name="decision"][value="${decision}"]`);
    if (!button || button.disabled) return false;
    for (const b of form.querySelectorAll('button[name="decision"]')) {
      b.classList.toggle("armed", b === button);
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    }
    form.dataset.armed = decision;
    const status = form.querySelector("#decision-armed");
    if (status) status.textContent = `${button.textContent.trim()} selected — give the reason, then press Ctrl+Enter or the ${button.textContent.trim()} button.`;
    const reason = form.querySelector('textarea[name="reason"]');
    if (reason) reason.focus();
    return true;
  }

  function onKeydown(evt) {
    const form = document.getElementById("decision-form");
    if (!form) return;
    // Ctrl/Cmd+Enter in the reason records the armed decision (the button's click runs
    // the browser's validation, so an empty reason is never sent).
    if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && evt.target instanceof Element && evt.target.closest("#decision-form")) {
      const armed = form.dataset.armed && form.querySelector(`button[name="decision"][value="${form.dataset.armed}"]`);
      if (armed) {
        evt.preventDefault();
        armed.click();
      }
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey || evt.isComposing || isTyping(evt.target)) return;
    const decision = SHORTCUTS[evt.key.toLowerCase()];
    if (decision && !evt.shiftKey && armDecision(form, decision)) evt.preventDefault();
  }

  // A reason of blanks is no reason: stop the submission before htmx or the browser sends it.
  function onSubmit(evt) {
    const form = evt.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "decision-form") return;
    const reason = form.querySelector('textarea[name="reason"]');
    if (!reason) return;
    const submitter = evt.submitter;
    if (reason.value.trim() === "") {
      evt.preventDefault();
      evt.stopImmediatePropagation();
      reason.setCustomValidity("Give the reason for this decision.");
      reason.reportValidity();
      reason.focus();
      return;
    }
    reason.setCustomValidity("");
    if (submitter && submitter.name === "decision") form.dataset.armed = submitter.value;
  }

  function onInput(evt) {
    if (evt.target instanceof HTMLTextAreaElement && evt.target.name === "reason") evt.target.setCustomValidity("");
  }

  // ---- media reveal ---------------------------------------------------------------------

  function toggleMedia(img) {
    img.classList.toggle("revealed");
    img.setAttribute("aria-pressed", img.classList.contains("revealed") ? "true" : "false");
  }

  function onClick(evt) {
    const target = evt.target instanceof Element ? evt.target : null;
    if (!target) return;
    const img = target.closest(".media-blurred");
    if (img) {
      evt.preventDefault();
      toggleMedia(img);
      return;
    }
    const sortLink = target.closest("a.sort-link");
    if (sortLink) {
      rememberSort(sortLink);
      return;
    }
    const top = target.closest("[data-select-top]");
    if (top) {
      const form = top.closest("form");
      if (!form) return;
      const n = Number(top.dataset.selectTop) || 0;
      $all(form, 'input[type="checkbox"][name="account"]').forEach((box, i) => { box.checked = i < n; });
      if (typeof form.requestSubmit === "function") form.requestSubmit();
    }
  }

  function onMediaKey(evt) {
    const target = evt.target instanceof Element ? evt.target : null;
    if (!target || !target.classList.contains("media-blurred")) return;
    if (evt.key === "Enter" || evt.key === " ") {
      evt.preventDefault();
      toggleMedia(target);
    }
  }

  function initMedia(root) {
    for (const img of $all(root, "img.media-blurred:not([role])")) {
      img.setAttribute("role", "button");
      img.setAttribute("aria-pressed", "false");
    }
  }

  // ---- queue: the htmx URL, the filter form and the remembered sort ------------------------

  function sortKey() {
    const user = (document.body && document.body.dataset.user) || "";
    return `iru.queue.sort:${user}`;
  }

  function syncQueue() {
    const rows = document.getElementById("queue-rows");
    if (!rows) return;
    const form = document.getElementById("queue-filters");
    if (form) {
      for (const name of ["sort", "dir"]) {
        const input = form.querySelector(`input[name="${name}"]`);
        if (input && rows.dataset[name] !== undefined) input.value = rows.dataset[name];
      }
    }
  }

  // Remembered when the officer picks a sort (not when the server's default shows).
  function rememberSort(link) {
    const { sort, dir } = link.dataset;
    if (!sort) return;
    try {
      window.localStorage.setItem(sortKey(), JSON.stringify({ sort, dir: dir === "asc" ? "asc" : "desc" }));
    } catch (_err) {
      /* storage disabled: nothing to remember */
    }
  }

  function restoreQueueSort() {
    const rows = document.getElementById("queue-rows");
    if (!rows || typeof window.htmx === "undefined") return false;
    const params = new URLSearchParams(window.location.search);
    if (params.has("sort")) return false;
    let saved = null;
    try {
      saved = JSON.parse(window.localStorage.getItem(sortKey()) || "null");
    } catch (_err) {
      saved = null;
    }
    if (!saved || !saved.sort || (saved.sort === rows.dataset.sort && saved.dir === rows.dataset.dir)) return false;
    params.set("sort", saved.sort);
    params.set("dir", saved.dir === "asc" ? "asc" : "desc");
    window.htmx.ajax("GET", `/queue/rows?${params}`, { target: "#queue-rows", swap: "outerHTML" });
    return true;
  }

  // The fragment comes from /queue/rows, but the address bar should show the full page.
  function onBeforeHistoryUpdate(evt) {
    const history = evt.detail && evt.detail.history;
    if (history && typeof history.path === "string" && history.path.startsWith("/queue/rows")) {
      history.path = `/queue${history.path.slice("/queue/rows".length)}`;
    }
  }

  // ---- htmx errors ------------------------------------------------------------------------

  function onResponseError(evt) {
    const xhr = evt.detail && evt.detail.xhr;
    if (!xhr) return;
    // 400/409/422 answers are swapped in and carry their own message.
    if ([400, 409, 422].includes(xhr.status)) return;
    if (xhr.status === 401) {
      toast("Your session has ended. Log in again.");
      return;
    }
    if (xhr.status === 403) {
      toast("Not allowed: your role or unit may not do this.");
      return;
    }
    toast(`The request failed (${xhr.status} ${xhr.statusText || ""}).`);
  }

  // ---- wiring -------------------------------------------------------------------------------

  function init(root) {
    initCharts(root);
    initGraphs(root);
    initMedia(root);
    syncQueue();
    tickCountdowns();
  }

  let pending = false;
  function scheduleInit() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(() => {
      pending = false;
      init(document);
    });
  }

  function boot() {
    startClock();
    init(document);
    restoreQueueSort();
    document.addEventListener("keydown", onKeydown);
    document.addEventListener("keydown", onMediaKey);
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit, true);
    document.addEventListener("input", onInput);
    document.body.addEventListener("htmx:afterSwap", scheduleInit);
    document.body.addEventListener("htmx:load", scheduleInit);
    document.body.addEventListener("htmx:beforeHistoryUpdate", onBeforeHistoryUpdate);
    document.body.addEventListener("htmx:responseError", onResponseError);
    document.body.addEventListener("htmx:sendError", () => toast("The server could not be reached."));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }

  window.iru = { init, formatDuration, tickCountdowns };
})();
