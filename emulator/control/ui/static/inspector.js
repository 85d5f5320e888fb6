// The inspector: fetches the control plane's JSON and renders it; polls so it stays current.
"use strict";
(function () {
  const BASE = location.pathname.replace(/\/ui\/?$/, "");
  const POLL_MS = 2000;
  const SECRET = /(secret|password|passwd|token|authorization|api[-_]?key|cookie)/i;
  const open = new Set(); // ids of expanded rows, kept across refreshes
  let selectedTenant = null;

  const $ = (selector) => document.querySelector(selector);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== null && value !== undefined) node.setAttribute(key, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
    return node;
  };

  // --- never show a secret: headers, JSON keys and form fields that name one are masked ---------
  const MASK = "••••••";
  function redactHeaders(headers) {
    const out = {};
    for (const [name, value] of Object.entries(headers || {})) out[name] = SECRET.test(name) ? MASK : value;
    return out;
  }
  function redactValue(value) {
    if (Array.isArray(value)) return value.map(redactValue);
    if (value && typeof value === "object") {
      const out = {};
      for (const [key, inner] of Object.entries(value)) out[key] = SECRET.test(key) ? MASK : redactValue(inner);
      return out;
    }
    return value;
  }
  function redactBody(text) {
    if (!text) return "";
    try {
      return JSON.stringify(redactValue(JSON.parse(text)), null, 2);
    } catch (_) {
      return text.replace(/([A-Za-z_]*(?:secret|password|token)[A-Za-z_]*=)[^&\s]*/gi, "$1" + MASK);
    }
  }

  // --- the control token ------------------------------------------------------------------------
  const tokenInput = $("#token");
  tokenInput.value = sessionStorage.getItem("emulatorControlToken") || "";
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("emulatorControlToken", tokenInput.value.trim());
    refresh();
  });

  async function api(method, path, body) {
    const headers = {};
    const token = sessionStorage.getItem("emulatorControlToken");
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(BASE + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
    if (!response.ok) {
      const detail = data && data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : text;
      throw new Error(`${method} ${path}: ${response.status} ${detail}`);
    }
    return data;
  }
  const status = (text, bad) => { const node = $("#status"); node.textContent = text; node.className = bad ? "bad" : ""; };
  async function act(action) {
    try { await action(); status("done"); } catch (error) { status(error.message, true); }
    await refresh();
  }
  const query = (fields) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) if (value !== "" && value !== null && value !== undefined) params.set(key, value);
    const text = params.toString();
    return text ? "?" + text : "";
  };
  const formFields = (form) => Object.fromEntries(new FormData(form).entries());
  const fmtTime = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d{3})\d*/, "$1") : "");

  // --- clock: the shared one, or a tenant's when a provider and tenant are picked ---------------
  const clockScope = () => { const f = formFields($("#clock-scope")); return f.provider && f.tenant ? f : {}; };
  async function loadClock() {
    const clock = await api("GET", "/clock" + query(clockScope()));
    $("#clock-now").textContent = fmtTime(clock.now);
    $("#clock-frozen").textContent = clock.frozen ? "(frozen)" : "(running)";
  }
  for (const [id, path] of [["#clock-freeze", "/clock/freeze"], ["#clock-resume", "/clock/resume"], ["#clock-reset", "/clock/reset"]]) {
    $(id).addEventListener("click", () => act(() => api("POST", path + query(clockScope()))));
  }
  $("#clock-advance").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number(formFields(event.target).seconds);
    act(() => api("POST", "/clock/advance" + query(clockScope()), { seconds }));
  });
  $("#clock-set").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => api("POST", "/clock/set" + query(clockScope()), { now: formFields(event.target).now }));
  });
  $("#clock-scope").addEventListener("change", loadClock);
  function pickClock(provider, tenant) {
    const form = $("#clock-scope");
    form.elements.provider.value = provider;
    form.elements.tenant.value = tenant;
    loadClock();
  }
  async function loadTenantClocks() {
    const clocks = await api("GET", "/clock/tenants");
    $("#tenant-clocks tbody").replaceChildren(...clocks.map((c) => el("tr", { class: "tenant-clock", "data-provider": c.provider, "data-tenant": c.tenant },
      el("td", {}, c.provider), el("td", {}, c.tenant), el("td", { class: "now" }, fmtTime(c.now)), el("td", {}, c.frozen ? "(frozen)" : "(running)"),
      el("td", {},
        el("button", { type: "button", class: "pick", onclick: () => pickClock(c.provider, c.tenant) }, "Pick"),
        el("button", { type: "button", class: "follow",
          onclick: () => act(() => api("POST", "/clock/reset" + query({ provider: c.provider, tenant: c.tenant }))) }, "Follow shared")))));
  }

  // --- tenants and their records ----------------------------------------------------------------
  async function loadTenants() {
    const tenants = await api("GET", "/tenants");
    const body = $("#tenants tbody");
    body.replaceChildren(...tenants.map((t) => el("tr", { "data-provider": t.provider, "data-tenant": t.tenant },
      el("td", {}, t.provider), el("td", {}, t.tenant), el("td", {}, fmtTime(t.created_at)),
      el("td", {},
        el("button", { type: "button", class: "records", onclick: () => { selectedTenant = t; loadRecords(); } }, "Records"),
        el("button", { type: "button", class: "clock", onclick: () => pickClock(t.provider, t.tenant) }, "Clock"),
        el("button", { type: "button", class: "reset danger",
          onclick: () => act(() => api("POST", "/reset" + query({ provider: t.provider, tenant: t.tenant }))) }, "Reset")))));
    if (selectedTenant && !tenants.some((t) => t.provider === selectedTenant.provider && t.tenant === selectedTenant.tenant)) {
      selectedTenant = null;
      $("#records").replaceChildren();
    }
  }
  async function loadRecords() {
    if (!selectedTenant) return;
    const { provider, tenant } = selectedTenant;
    const state = await api("GET", "/state" + query({ tenant }));
    const prefix = provider + "_";
    const parts = [el("h3", {}, `Records of ${tenant} (${provider})`)];
    for (const [table, rows] of Object.entries(state.tables || {})) {
      if (!table.startsWith(prefix) || !rows.length) continue;
      const columns = Object.keys(rows[0]).filter((c) => c !== "tenant");
      parts.push(el("h4", {}, `${table} (${rows.length})`), el("div", { class: "scroll" }, el("table", { class: "records-table", "data-table": table },
        el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {}, c)))),
        el("tbody", {}, ...rows.slice(0, 200).map((row) => el("tr", {}, ...columns.map((c) => {
          const value = SECRET.test(c) ? MASK : row[c];
          return el("td", {}, value !== null && typeof value === "object" ? JSON.stringify(redactValue(value)) : String(value ?? ""));
        })))))));
    }
    $("#records").replaceChildren(...parts);
  }
  $("#reset-all").addEventListener("click", () => { if (confirm("Reset every tenant?")) act(() => api("POST", "/reset")); });

  // --- request journal --------------------------------------------------------------------------
  const details = (id, colspan, ...content) => el("tr", { class: "details", "data-for": id }, el("td", { colspan }, ...content));
  const toggle = (id) => () => { open.has(id) ? open.delete(id) : open.add(id); refresh(); };
  const pre = (text) => el("pre", {}, text);
  async function loadRequests() {
    const filters = formFields($("#request-filters"));
    const entries = await api("GET", "/requests" + query({ ...filters, limit: 200 }));
    const rows = [];
    for (const entry of entries.slice().reverse()) {
      const id = "request-" + entry.id;
      rows.push(el("tr", { class: "request", "data-id": entry.id, onclick: toggle(id) },
        el("td", {}, entry.id), el("td", {}, fmtTime(entry.time)), el("td", {}, entry.provider), el("td", {}, entry.tenant ?? ""),
        el("td", {}, entry.method), el("td", {}, entry.path + (entry.query ? "?" + entry.query : "")),
        el("td", { class: entry.status >= 400 || entry.status === null ? "bad" : "" }, entry.status ?? "dropped"),
        el("td", {}, entry.duration_ms)));
      if (open.has(id)) {
        rows.push(details(id, 8,
          el("div", { class: "pair" },
            el("div", {}, el("h4", {}, "Request"), pre(JSON.stringify(redactHeaders(entry.request_headers), null, 2)), pre(redactBody(entry.request_body))),
            el("div", {}, el("h4", {}, "Response"), pre(JSON.stringify(redactHeaders(entry.response_headers), null, 2)), pre(redactBody(entry.response_body))))));
      }
    }
    $("#requests tbody").replaceChildren(...rows);
  }
  $("#request-filters").addEventListener("input", loadRequests);
  $("#request-filters").addEventListener("submit", (event) => event.preventDefault());
  $("#requests-clear").addEventListener("click", () => act(() => api("DELETE", "/requests" + query(formFields($("#request-filters"))))));

  // --- callbacks --------------------------------------------------------------------------------
  async function loadCallbacks() {
    const deliveries = await api("GET", "/callbacks?limit=200");
    const rows = [];
    for (const d of deliveries.slice().reverse()) {
      const id = "callback-" + d.id;
      rows.push(el("tr", { class: "callback", "data-id": d.id, "data-status": d.status, onclick: toggle(id) },
        el("td", {}, d.id), el("td", {}, d.provider), el("td", {}, d.tenant), el("td", {}, d.event), el("td", {}, d.url),
        el("td", { class: d.status === "failed" ? "bad" : "" }, d.status), el("td", { class: "attempt-count" }, d.attempt_count),
        el("td", {}, d.status === "pending" ? "" : el("button", { type: "button", class: "redeliver",
          onclick: (event) => { event.stopPropagation(); act(() => api("POST", `/callbacks/${d.id}/redeliver`)); } }, "Redeliver"))));
      if (open.has(id)) {
        rows.push(details(id, 8,
          el("table", { class: "attempts" }, el("thead", {}, el("tr", {}, ...["attempt", "at", "status", "error", "ms"].map((h) => el("th", {}, h)))),
            el("tbody", {}, ...d.attempts.map((a) => el("tr", { class: "attempt" }, el("td", {}, a.attempt), el("td", {}, fmtTime(a.at)),
              el("td", {}, a.status_code ?? ""), el("td", {}, a.error ?? ""), el("td", {}, a.duration_ms))))),
          el("p", {}, `next attempt: ${fmtTime(d.next_attempt_at) || "—"}, delivered: ${fmtTime(d.delivered_at) || "—"}`),
          pre(redactBody(d.payload))));
      }
    }
    $("#callbacks tbody").replaceChildren(...rows);
  }

  // --- fault rules ------------------------------------------------------------------------------
  async function loadFaults() {
    const rules = await api("GET", "/faults");
    $("#faults tbody").replaceChildren(...rules.map((rule) => {
      const { id, ...shown } = rule;
      return el("tr", { class: "fault", "data-id": id }, el("td", {}, id),
        el("td", {}, Object.entries(shown).filter(([k, v]) => v !== null && k !== "fired" && k !== "remaining").map(([k, v]) => `${k}=${v}`).join(" ")),
        el("td", {}, `${rule.fired}${rule.remaining != null ? " (" + rule.remaining + " left)" : ""}`),
        el("td", {}, el("button", { type: "button", class: "remove", onclick: () => act(() => api("DELETE", `/faults/${id}`)) }, "Remove")));
    }));
  }
  $("#fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const rule = {};
    for (const [key, value] of Object.entries(formFields(event.target))) {
      if (value === "") continue;
      rule[key] = ["status", "latency_ms", "count"].includes(key) ? Number(value) : value;
    }
    if (rule.kind !== "error") delete rule.status;
    act(() => api("POST", "/faults", rule));
  });

  // --- snapshots --------------------------------------------------------------------------------
  $("#snapshot-export").addEventListener("click", () => act(async () => {
    const tenant = $("#snapshot-tenant").value.trim();
    const documentJson = await api("GET", "/state" + query({ tenant }));
    const link = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(documentJson, null, 2)], { type: "application/json" })),
      download: `emulator-state${tenant ? "-" + tenant : ""}.json` });
    link.click();
    $("#snapshot-result").textContent = `exported ${Object.values(documentJson.tables).reduce((n, rows) => n + rows.length, 0)} rows`;
  }));
  $("#snapshot-file").addEventListener("change", (event) => act(async () => {
    const file = event.target.files[0];
    if (!file) return;
    const result = await api("PUT", "/state", JSON.parse(await file.text()));
    $("#snapshot-result").textContent = `restored ${result.rows_restored} rows`;
    event.target.value = "";
  }));

  // --- polling ----------------------------------------------------------------------------------
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      await Promise.all([loadClock(), loadTenantClocks(), loadTenants(), loadRequests(), loadCallbacks(), loadFaults()]);
      await loadRecords();
      document.body.dataset.refreshed = String(Date.now());
    } catch (error) {
      status(error.message, true);
    } finally {
      busy = false;
    }
  }
  refresh();
  setInterval(refresh, POLL_MS);
})();
