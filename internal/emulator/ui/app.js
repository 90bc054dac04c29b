// The emulator's dashboard. It reads /_emulator/ui/state, reloads it when
// /_emulator/ui/events says something happened, and moves the clock and
// resets through the same JSON routes as the CLI. Every value is put on the
// page as text (textContent), never as HTML: key names come from users.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let state = null;
  let fetchedAt = 0; // performance.now() when state arrived
  let loading = false;
  let again = false;
  const seenMessages = new Set();
  let firstLoad = true;

  // --- time on the emulator's clock ---------------------------------------
  function emulatorNow() {
    if (!state) return Date.now();
    return Date.parse(state.now) + (performance.now() - fetchedAt);
  }
  function relative(iso) {
    if (!iso) return "never";
    const d = Date.parse(iso) - emulatorNow();
    const a = Math.abs(d) / 1000;
    let s;
    if (a < 45) s = Math.round(a) + " s";
    else if (a < 45 * 60) s = Math.round(a / 60) + " min";
    else if (a < 36 * 3600) s = Math.round(a / 3600) + " h";
    else s = Math.round(a / 86400) + " d";
    return d >= 0 ? "in " + s : s + " ago";
  }
  function absolute(iso) {
    return new Date(iso).toISOString().replace(".000Z", "Z").replace("T", " ");
  }
  function timeEl(iso) {
    const t = document.createElement("time");
    if (!iso) { t.textContent = "never"; return t; }
    t.dateTime = iso;
    t.title = absolute(iso);
    t.dataset.rel = "1";
    t.textContent = relative(iso);
    return t;
  }

  // --- DOM helpers ----------------------------------------------------------
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === "class") e.className = v;
        else if (k === "data") Object.assign(e.dataset, v);
        else e.setAttribute(k, v);
      }
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function badge(text, cls) { return el("span", { class: "badge " + cls }, text); }
  // fill puts rows in a table's body and labels each cell with its column's
  // header, which the narrow layout shows beside the value.
  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
    const heads = [...tbody.parentElement.tHead.rows[0].cells].map((th) => th.textContent);
    for (const tr of tbody.rows) {
      [...tr.cells].forEach((td, i) => {
        td.dataset.label = heads[i] || "";
        // One box per cell, beside its label in the narrow layout.
        const v = document.createElement("span");
        v.className = "v";
        v.append(...td.childNodes);
        td.append(v);
      });
    }
  }
  function showEmpty(id, empty) { $(id).hidden = !empty; }

  // --- rendering -------------------------------------------------------------
  function render() {
    const s = state;
    $("now").dateTime = s.now;
    $("now").textContent = absolute(new Date(emulatorNow()).toISOString());
    $("offset").textContent = offsetText();

    const outRows = s.outbox.map((m) => {
      const id = m.sent_at + "|" + m.channel + "|" + m.destination_hint + "|" + m.code;
      const fresh = !firstLoad && !seenMessages.has(id);
      seenMessages.add(id);
      const expired = Date.parse(m.expires_at) <= emulatorNow();
      // A code asked for an address no partner has: nothing was sent.
      if (m.note) {
        return el("tr", { class: fresh ? "new" : "" },
          el("td", null, timeEl(m.sent_at)),
          el("td", null, m.channel === "email" ? "E-mail" : "WhatsApp"),
          el("td", { class: "mono" }, m.destination_hint),
          el("td", { colspan: "2" }, badge("not sent", "expired"), " " + m.note));
      }
      return el("tr", { class: fresh ? "new" : "", data: { code: m.code } },
        el("td", null, timeEl(m.sent_at)),
        el("td", null, m.channel === "email" ? "E-mail" : "WhatsApp"),
        el("td", { class: "mono" }, m.destination_hint),
        el("td", { class: "code" }, m.code),
        el("td", { data: { used: m.used ? "true" : "false" } },
          m.used ? badge("used", "used") : expired ? badge("expired", "expired") : timeEl(m.expires_at)));
    });
    fill($("outbox").tBodies[0], outRows);
    $("outbox-count").textContent = s.outbox.length ? "(" + s.outbox.length + ")" : "";
    showEmpty("outbox-empty", s.outbox.length === 0);

    const keyRows = s.keys.map((k) => {
      // One line each, so that the table fits 1280 px.
      const rotation = [];
      if (k.rotated_from) rotation.push(el("div", null, "from " + k.rotated_from));
      if (k.rotated_to) rotation.push(el("div", null, "to " + k.rotated_to));
      const status = el("td", { data: { status: k.status } }, badge(k.status, k.status));
      if (k.in_grace) status.append(" ", badge("grace", "grace"));
      return el("tr", { data: { keyId: k.key_id } },
        el("td", { class: "name" }, k.name, el("div", null, el("button", { type: "button", class: "link", data: { usage: k.key_id } }, "usage chart"))),
        el("td", { class: "mono" }, el("div", null, k.key_id), el("div", { class: "muted" }, k.key_hint)),
        el("td", null, k.environment),
        el("td", { class: "wrap" }, k.permissions.join(", ")),
        el("td", null, k.rate_limit + "/min"),
        status,
        el("td", null, timeEl(k.expires_at), k.in_grace ? el("div", { class: "muted" }, "grace ends") : null),
        el("td", { class: "uses", data: { uses: String(k.usage_count) } }, String(k.usage_count)),
        el("td", null, timeEl(k.last_used_at)),
        el("td", { class: "mono" }, ...(rotation.length ? rotation : ["—"])));
    });
    fill($("keys").tBodies[0], keyRows);
    $("keys-count").textContent = s.keys_total ? "(" + (s.keys.length < s.keys_total ? s.keys.length + " of " : "") + s.keys_total + ")" : "";
    $("keys-more").hidden = s.keys.length >= s.keys_total;
    showEmpty("keys-empty", s.keys.length === 0);

    const limits = s.lineages.map((l) => {
      const pct = l.limit > 0 ? Math.min(100, Math.round((l.used / l.limit) * 100)) : 0;
      const fillSpan = el("span");
      fillSpan.style.width = pct + "%"; // CSSOM, which the page's CSP allows (a style attribute it would not)
      const bar = el("div", {
        class: "bar" + (l.remaining === 0 ? " full" : ""), role: "progressbar",
        "aria-valuemin": "0", "aria-valuemax": String(l.limit), "aria-valuenow": String(l.used),
        "aria-label": l.name + ": " + l.used + " of " + l.limit + " requests this minute",
      }, fillSpan);
      const dead = l.status && l.status !== "active";
      return el("li", { class: "limit", data: { lineage: l.lineage_id, used: String(l.used), status: l.status || "active" } },
        el("div", { class: "head" }, el("strong", null, l.name, dead ? " " : null, dead ? badge(l.status, l.status) : null),
          el("span", null, dead ? "no requests admitted" : l.used + " of " + l.limit + " used, " + l.remaining + " left")),
        bar,
        el("div", { class: "chain" }, l.chain.join(" → "), " · window resets ", timeEl(l.reset_at)));
    });
    $("limits").replaceChildren(...limits);
    showEmpty("limits-empty", s.lineages.length === 0);

    $("partners").replaceChildren(...s.partners.map((p) =>
      el("li", null, el("strong", null, p.name), " ", el("span", { class: "muted mono" }, p.id),
        el("div", null, p.email, " · ", p.whatsapp))));

    fill($("audit").tBodies[0], s.audit.map((e) =>
      el("tr", null, el("td", null, timeEl(e.at)), el("td", null, e.action),
        el("td", { class: "mono" }, e.key_id || "—"), el("td", { class: "mono" }, e.actor),
        el("td", { class: "wrap mono" }, e.detail || ""))));
    showEmpty("audit-empty", s.audit.length === 0);
    firstLoad = false;
  }

  function offsetText() {
    const d = Math.round((emulatorNow() - Date.now()) / 1000);
    if (Math.abs(d) < 2) return "(the host's time)";
    const days = Math.floor(d / 86400), h = Math.floor((d % 86400) / 3600), m = Math.floor((d % 3600) / 60);
    const parts = [];
    if (days) parts.push(days + " d");
    if (h) parts.push(h + " h");
    if (m || !parts.length) parts.push(m + " min");
    return "(" + parts.join(" ") + " ahead of the host)";
  }

  function tick() {
    if (!state) return;
    $("now").textContent = absolute(new Date(emulatorNow()).toISOString());
    for (const t of document.querySelectorAll("time[data-rel]")) t.textContent = relative(t.dateTime);
  }

  // --- loading -----------------------------------------------------------------
  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const r = await fetch("/_emulator/ui/state?keys=" + keysShown, { cache: "no-store", headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error("state: HTTP " + r.status);
      state = await r.json();
      fetchedAt = performance.now();
      render();
      if (usageKey) await loadUsage();
      document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
    } catch (err) {
      message("Could not load the emulator's state: " + err.message, true);
    } finally {
      loading = false;
      if (again) { again = false; load(); }
    }
  }

  // --- the usage chart of one key (GET /_emulator/ui/usage) ---------------------
  let keysShown = 100; // the key table pages: "Show more keys" adds a page
  let usageKey = "";
  async function loadUsage() {
    const r = await fetch("/_emulator/ui/usage?since=1h&bucket=minute&key_id=" + encodeURIComponent(usageKey), { cache: "no-store", headers: { Accept: "application/json" } });
    if (!r.ok) { $("usage-panel").hidden = true; usageKey = ""; return; }
    drawUsage(await r.json());
  }
  function drawUsage(u) {
    $("usage-panel").hidden = false;
    $("usage-key").textContent = u.key_id;
    const top = Math.max(u.rate_limit, ...u.series.map((p) => p.requests), 1);
    const cols = u.series.map((p) => {
      const part = (cls, n) => {
        const d = el("div", { class: cls });
        d.style.height = (100 * n / top) + "%";
        return d;
      };
      const c = el("div", { class: "col", title: p.start.slice(11, 16) + " UTC: " + p.requests + " requests, " + p.ok + " 2xx, " + p.rate_limited + " 429" },
        part("ok", p.ok), part("rej", p.requests - p.ok - p.rate_limited), part("lim", p.rate_limited));
      c.style.height = "100%";
      return c;
    });
    const line = el("div", { class: "limit", title: "rate limit " + u.rate_limit + "/min" });
    line.style.bottom = (100 * u.rate_limit / top) + "%";
    $("usage-chart").replaceChildren(...cols, line);
    const t = u.totals;
    const peak = u.peak_minute ? "; peak " + u.peak_minute.requests + " of " + u.rate_limit + " req/min at " + u.peak_minute.start.slice(11, 16) + " UTC" : "";
    $("usage-summary").textContent = t.requests + " requests: " + t.ok + " 2xx, " + t.unauthorized + " 401, " + t.forbidden + " 403, " + t.rate_limited + " 429" + peak;
    const scopes = Object.entries(u.scopes).map(([k, v]) => k + " " + v).join(", ") || "none";
    const ips = u.ips.map((i) => i.ip + " (" + i.requests + ")").join(", ") || "none";
    $("usage-detail").textContent = "Scopes checked: " + scopes + ". Addresses: " + ips + ".";
  }

  function announce(e) {
    let text = "";
    switch (e.type) {
      case "otp.sent": text = "Code sent by " + (e.channel === "email" ? "e-mail" : "WhatsApp") + " to " + e.destination_hint; break;
      case "key.created": text = "Key " + e.key_id + " created"; break;
      case "key.rotated": text = "Key " + e.key_id + " rotated to " + e.successor; break;
      case "key.revoked": text = "Key " + e.key_id + " revoked"; break;
      case "key.rotation_undone": text = "Rotation of key " + e.key_id + " undone: " + e.successor + " revoked"; break;
      case "reset": text = "Emulator reset"; break;
      default: return;
    }
    $("announce").textContent = text;
  }

  function connect() {
    const conn = $("conn");
    const es = new EventSource("/_emulator/ui/events");
    es.onopen = () => {
      conn.dataset.state = "live";
      $("conn-text").textContent = "Live";
      load(); // catch up on anything missed while disconnected
    };
    es.onmessage = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      announce(e);
      load();
    };
    es.onerror = () => {
      conn.dataset.state = "down";
      $("conn-text").textContent = "Disconnected, retrying…";
      // The browser retries by itself unless the server answered with an
      // error (as it does while shutting down); then start over, later.
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setTimeout(connect, 3000);
      }
    };
  }

  // --- actions (the CLI's JSON routes) -------------------------------------------
  function message(text, isError) {
    const m = $("action-msg");
    m.textContent = text;
    m.classList.toggle("error", !!isError);
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    if (r.status !== 204) { try { data = await r.json(); } catch { data = null; } }
    if (!r.ok) throw new Error((data && data.message) || "HTTP " + r.status);
    return data;
  }

  async function advance(seconds, button) {
    if (button) button.disabled = true;
    try {
      const d = await post("/_emulator/clock", { advance_seconds: seconds });
      message("Clock moved to " + absolute(d.now) + ".");
      await load();
    } catch (err) {
      message("Could not move the clock: " + err.message, true);
    } finally {
      if (button) button.disabled = false;
    }
  }

  function wire() {
    $("keys").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-usage]");
      if (!b) return;
      usageKey = b.dataset.usage;
      loadUsage().then(() => $("usage-panel").scrollIntoView({ block: "nearest" }));
    });
    $("keys-more").addEventListener("click", () => { keysShown += 100; load(); });
    for (const b of document.querySelectorAll("button[data-advance]")) {
      b.addEventListener("click", () => advance(Number(b.dataset.advance), b));
    }
    $("advance-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const n = Number($("advance-n").value);
      if (!Number.isInteger(n) || n < 1) {
        message("Enter a whole number greater than 0.", true);
        $("advance-n").focus();
        return;
      }
      advance(n * Number($("advance-unit").value), ev.submitter || null);
    });
    const dlg = $("reset-dialog");
    $("reset-open").addEventListener("click", () => {
      dlg.returnValue = ""; // Esc keeps the last value: never let it be "reset"
      dlg.showModal();
    });
    dlg.addEventListener("close", async () => {
      if (dlg.returnValue !== "reset") { $("reset-open").focus(); return; }
      try {
        await post("/_emulator/reset", {});
        seenMessages.clear();
        message("The emulator was reset.");
        await load();
      } catch (err) {
        message("Could not reset: " + err.message, true);
      }
      $("reset-open").focus();
    });
  }

  wire();
  load();
  connect();
  setInterval(tick, 1000);
})();
