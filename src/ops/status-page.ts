/**
 * The status page at `/`: one small HTML document with its script inline. It starts from the
 * `snapshot` event of `/events` and applies `service`, `change` and `status` events as they
 * come, so it follows the registries without reloading. Registry data is shown with
 * textContent only: a provider's fields are never parsed as HTML.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dnsbridge</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { font-weight: 600; background: #f4f4f4; }
  .service > td { background: #fafafa; font-weight: 600; }
  .live, .passing { color: #17692c; } .stale, .down, .failing { color: #a40000; }
  #summary span { margin-right: 1.2rem; }
  #filter { margin: .3rem 0 .5rem; padding: .2rem .4rem; width: 16rem; }
  .muted { color: #777; font-size: 12px; }
</style>
</head>
<body>
<h1>dnsbridge</h1>
<div id="summary"><span id="ready">connecting…</span><span id="cache"></span><span id="count"></span><span id="health"></span></div>
<h2>Sources</h2>
<table><thead><tr><th>source</th><th>kind</th><th>datacenter</th><th>state</th><th>last sync</th><th>watched services</th><th>watch events</th><th>decode failures</th><th>detail</th></tr></thead>
<tbody id="sources"></tbody></table>
<h2>Services</h2>
<input id="filter" type="search" placeholder="filter services">
<table><thead><tr><th>provider</th><th>priority</th><th>weight</th><th>tags</th><th>source</th><th>datacenter</th><th>health</th><th>check</th><th>last check</th><th>origin</th></tr></thead>
<tbody id="services"></tbody></table>
<div id="transfers" hidden>
<h2>Zone transfers</h2>
<div id="serial"></div>
<table><thead><tr><th>secondary</th><th>last transfer</th><th>type</th><th>result</th><th>serial</th><th>messages</th><th>records</th><th>last NOTIFY</th></tr></thead>
<tbody id="secondaries"></tbody></table>
</div>
<h2>Recent changes</h2>
<table><thead><tr><th>time</th><th>service</th><th>added</th><th>removed</th><th>health check</th><th>providers</th></tr></thead>
<tbody id="changes"></tbody></table>
<script>
"use strict";
const services = new Map();
/** Source name -> whether it lost its registry: its providers are shown stale. */
const staleSources = new Map();
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child === undefined || child === null ? "" : String(child));
  return node;
}

function row(cells, attrs) {
  const tr = el("tr", attrs);
  for (const cell of cells) tr.append(cell instanceof Node ? cell : el("td", {}, cell));
  return tr;
}

function time(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : "never";
}

function hostPort(p) {
  return (p.host.includes(":") ? "[" + p.host + "]" : p.host) + ":" + p.port + (p.endpoint ? " (" + p.endpoint + ")" : "");
}

function renderServices() {
  const filter = $("filter").value.trim().toLowerCase();
  const rows = [];
  for (const name of [...services.keys()].sort()) {
    if (filter && !name.includes(filter)) continue;
    const service = services.get(name);
    const head = el("td", { colspan: "10" }, name + " — " + service.providers.length + " provider" + (service.providers.length === 1 ? "" : "s"));
    rows.push(row([head], { class: "service", "data-service": name }));
    for (const p of service.providers) {
      const health = staleSources.has(p.source) ? (staleSources.get(p.source) ? "stale" : "live") : p.health;
      const check = p.check ? el("td", { class: p.check.state, title: p.check.reason || "" }, p.check.state) : "-";
      rows.push(row([hostPort(p), p.priority, p.weight, p.tags.join(", "), p.source, p.datacenter || "", el("td", { class: health }, health), check, lastCheck(p.check), el("td", { class: "muted" }, p.origin)],
        { "data-provider": hostPort(p), "data-of": name }));
    }
  }
  $("services").replaceChildren(...rows);
  $("count").textContent = services.size + " services";
}

/** "pass, 0.4 ms at 10:02:03": a provider's last check. */
function lastCheck(check) {
  if (!check || !check.last) return "";
  return check.last.result + " (" + check.last.detail + "), " + check.last.ms + " ms at " + time(check.last.at);
}

function renderHealth(health) {
  const failOpen = health && health.failOpen.length ? "fail open (every provider failing, all answered): " + health.failOpen.join(", ") : "";
  $("health").textContent = health ? health.checked + " providers checked, " + health.unhealthy + " failing" + (failOpen ? "; " + failOpen : "") : "";
  $("health").className = failOpen ? "down" : "";
}

function renderStatus(status) {
  $("ready").textContent = status.ready ? "ready" : "not ready";
  $("ready").className = status.ready ? "live" : "down";
  $("ready").title = status.readiness.join("\\n");
  const cache = status.cache;
  const ratio = !cache || cache.hitRatio === null ? "–" : (100 * cache.hitRatio).toFixed(1) + "%";
  $("cache").textContent = cache ? "cache hit ratio " + ratio + " (" + cache.size + " answers cached)" : "cache: in the DNS workers (see /metrics)";
  $("sources").replaceChildren(...status.sources.map((s) =>
    row([s.name, s.kind, s.datacenter || "", el("td", { class: s.stale ? "down" : "live" }, s.state), time(s.lastSync), s.watchedServices, s.watchEvents, s.decodeFailures, s.detail || ""],
      { "data-source": s.name })));
  $("changes").replaceChildren(...status.changes.map(renderChange));
  renderHealth(status.health);
  renderTransfers(status.transfers);
  const changed = status.sources.some((s) => staleSources.get(s.name) !== s.stale);
  staleSources.clear();
  for (const s of status.sources) staleSources.set(s.name, s.stale);
  if (changed) renderServices();
}

function renderTransfers(transfers) {
  $("transfers").hidden = !transfers;
  if (!transfers) return;
  $("serial").textContent = "SOA serial " + transfers.serial + (transfers.journalFrom === undefined ? "" : " (IXFR from serial " + transfers.journalFrom + ")");
  const notifies = new Map(transfers.notifies.map((n) => [n.secondary.replace(/:\\d+$/, ""), n]));
  $("secondaries").replaceChildren(...transfers.secondaries.map((t) => {
    const notify = notifies.get(t.client);
    return row([t.client, time(t.at), t.type, el("td", { class: t.result === "ok" ? "live" : "down", title: t.reason || "" }, t.result), t.serial, t.messages, t.records,
      notify ? notify.result + " " + time(notify.at) : ""], { "data-secondary": t.client });
  }));
}

function renderChange(c) {
  const health = [...c.failed.map((p) => p + " failing"), ...c.recovered.map((p) => p + " passing again")].join(", ");
  return row([time(c.at), c.service, c.added.join(", "), c.removed.join(", "), health, c.providers]);
}

function applyService(service) {
  if (service.providers.length) services.set(service.name, service);
  else services.delete(service.name);
  renderServices();
}

const events = new EventSource("/events");
events.addEventListener("snapshot", (e) => {
  const snapshot = JSON.parse(e.data);
  services.clear();
  for (const service of snapshot.services) services.set(service.name, service);
  renderServices();
  renderStatus(snapshot.status);
});
events.addEventListener("service", (e) => applyService(JSON.parse(e.data)));
events.addEventListener("status", (e) => renderStatus(JSON.parse(e.data)));
events.addEventListener("error", () => { $("ready").textContent = "disconnected, retrying…"; $("ready").className = "down"; });
$("filter").addEventListener("input", renderServices);
</script>
</body>
</html>
`;
