/**
 * The status page at `/`: one small HTML document with its script inline, and uPlot served by the
 * bridge itself (`/assets/uplot.js`, from node_modules). It starts from the `snapshot` event of
 * `/events` (services, status, the last 15 minutes of samples, the busiest services) and applies
 * `service`, `status`, `sample` and `top` events as they come, so it follows the registries and the load without
 * reloading. Registry data is shown with textContent only: a provider's fields are never parsed
 * as HTML. Light or dark follows the browser's `prefers-color-scheme`.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dnsbridge</title>
<link rel="stylesheet" href="/assets/uplot.css">
<script src="/assets/uplot.js"></script>
<style>
  :root { color-scheme: light dark; --bg: #fff; --fg: #1d1d1d; --muted: #595959; --line: #d6d6d6; --head: #f1f1f1; --row: #f8f8f8;
    --good: #17692c; --bad: #a40000; --grid: rgba(0,0,0,.09); --shade: rgba(200,30,30,.16);
    --s1: #2a7a3b; --s2: #c05a00; --s3: #2f5fb3; --s4: #b3261e; --s5: #6b3fa0; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #121417; --fg: #e7e7e7; --muted: #aeb4bb; --line: #3a3f45; --head: #1f2329; --row: #181b1f;
      --good: #6fd38b; --bad: #ff8f86; --grid: rgba(255,255,255,.10); --shade: rgba(255,90,90,.22);
      --s1: #6fd38b; --s2: #ffab5e; --s3: #7fb0ff; --s4: #ff8f86; --s5: #c9a3ff; }
  }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: var(--fg); background: var(--bg); }
  @media (max-width: 600px) { body { margin: .6rem; } }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
  .scroll { overflow-x: auto; max-width: 100%; }
  table.data { border-collapse: collapse; width: 100%; }
  table.data th, table.data td { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  table.data th { font-weight: 600; background: var(--head); }
  .service > td { background: var(--row); font-weight: 600; }
  .live, .passing { color: var(--good); } .stale, .down, .failing { color: var(--bad); }
  #summary span { margin-right: 1.2rem; }
  #filter { margin: .3rem 0 .5rem; padding: .2rem .4rem; width: 16rem; max-width: 100%; box-sizing: border-box; }
  .muted { color: var(--muted); font-size: 12px; }
  td.lag canvas { vertical-align: middle; }
  #loading { margin: .6rem 0; } #loading progress { width: min(20rem, 60vw); vertical-align: middle; margin: 0 .4rem; }
  .pager { margin: .4rem 0; display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 26rem), 1fr)); gap: 1rem; }
  figure.chart { margin: 0; min-width: 0; }
  figure.chart figcaption { font-weight: 600; margin-bottom: .2rem; }
  .uplot { width: 100%; }
  .u-legend { font-size: 12px; }
</style>
</head>
<body>
<h1>dnsbridge</h1>
<div id="summary"><span id="ready">connecting…</span><span id="cache"></span><span id="count"></span><span id="health"></span></div>
<div id="loading" hidden></div>
<h2>Last 15 minutes</h2>
<div id="charts" class="charts">
<figure class="chart" id="chart-queries"><figcaption>Answers per second</figcaption></figure>
<figure class="chart" id="chart-latency"><figcaption>Answer latency (ms)</figcaption></figure>
<figure class="chart" id="chart-ratio"><figcaption>Cache hit ratio (%)</figcaption></figure>
<figure class="chart" id="chart-unhealthy" hidden><figcaption>Unhealthy providers</figcaption></figure>
</div>
<h2>Busiest services, last minute</h2>
<div class="scroll" tabindex="0" role="region" aria-label="busiest services">
<table class="data"><thead><tr><th>service</th><th>queries</th><th>NXDOMAIN</th><th>providers</th></tr></thead>
<tbody id="top"></tbody></table>
</div>
<h2>Sources</h2>
<div class="scroll" tabindex="0" role="region" aria-label="sources">
<table class="data"><thead><tr><th>source</th><th>kind</th><th>datacenter</th><th>state</th><th>last sync</th><th>watched services</th><th>loaded</th><th>watch events</th><th>decode failures</th><th>detail</th></tr></thead>
<tbody id="sources"></tbody></table>
</div>
<h2>Registry lag</h2>
<p class="muted">From a change's watch event to its answers being ready, and where the registry records when it was written (ZooKeeper's mtime), from that write; the last 60 changes of each source.</p>
<div class="scroll" tabindex="0" role="region" aria-label="registry lag">
<table class="data"><thead><tr><th>source</th><th>changes</th><th>event → answer</th><th>write → answer</th></tr></thead>
<tbody id="lag"></tbody></table>
</div>
<div id="source-charts"></div>
<h2>Services</h2>
<input id="filter" type="search" placeholder="filter services" aria-label="filter services">
<div class="pager"><button id="prev" type="button">previous</button><span id="page"></span><button id="next" type="button">next</button></div>
<div class="scroll" tabindex="0" role="region" aria-label="services">
<table class="data"><thead><tr><th>provider</th><th>priority</th><th>weight</th><th>tags</th><th>source</th><th>datacenter</th><th>health</th><th>check</th><th>last check</th><th>origin</th></tr></thead>
<tbody id="services"></tbody></table>
</div>
<div id="transfers" hidden>
<h2>Zone transfers</h2>
<div id="serial"></div>
<div class="scroll" tabindex="0" role="region" aria-label="zone transfers">
<table class="data"><thead><tr><th>secondary</th><th>last transfer</th><th>type</th><th>result</th><th>serial</th><th>messages</th><th>records</th><th>last NOTIFY</th></tr></thead>
<tbody id="secondaries"></tbody></table>
</div>
</div>
<h2>Recent changes</h2>
<div class="scroll" tabindex="0" role="region" aria-label="recent changes">
<table class="data"><thead><tr><th>time</th><th>service</th><th>added</th><th>removed</th><th>health check</th><th>providers</th></tr></thead>
<tbody id="changes"></tbody></table>
</div>
<script>
"use strict";
const services = new Map();
/** Source name -> whether it lost its registry: its providers are shown stale. */
const staleSources = new Map();
const $ = (id) => document.getElementById(id);
/** Services per page of the table: 5,000 services stay quick to render and to filter. */
const PAGE_SIZE = 50;
let page = 0;
let sortedNames = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child === undefined || child === null ? "" : child instanceof Node ? child : String(child));
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
  const other = p.otherFamilyAddress ? " (also " + p.otherFamilyAddress + ")" : "";
  return (p.host.includes(":") ? "[" + p.host + "]" : p.host) + ":" + p.port + other + (p.endpoint ? " (" + p.endpoint + ")" : "");
}

/** Renders once per frame however many service events arrived in it. */
let servicesQueued = false;
function queueServices() {
  if (servicesQueued) return;
  servicesQueued = true;
  requestAnimationFrame(() => { servicesQueued = false; renderServices(); });
}

function renderServices() {
  const filter = $("filter").value.trim().toLowerCase();
  if (!sortedNames) sortedNames = [...services.keys()].sort();
  const names = filter ? sortedNames.filter((name) => name.includes(filter)) : sortedNames;
  const pages = Math.max(1, Math.ceil(names.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const rows = [];
  for (const name of names.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)) {
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
  const first = names.length ? page * PAGE_SIZE + 1 : 0;
  $("page").textContent = first + "–" + Math.min(names.length, (page + 1) * PAGE_SIZE) + " of " + names.length + (filter ? " matching" : "");
  $("prev").disabled = page === 0;
  $("next").disabled = page >= pages - 1;
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
    row([s.name, s.kind, s.datacenter || "", el("td", { class: s.stale ? "down" : "live" }, s.state), time(s.lastSync), s.watchedServices, loaded(s.preload), s.watchEvents, s.decodeFailures, s.detail || ""],
      { "data-source": s.name })));
  renderLoading(status.sources.filter((s) => s.preload && !s.preload.done));
  $("lag").replaceChildren(...status.sources.map((s) => row([s.name, s.lag ? s.lag.eventToAnswer.count : 0,
    lagCell(s.lag && s.lag.eventToAnswer, "no change timed yet"),
    lagCell(s.lag && s.lag.writeToAnswer, s.kind === "zookeeper" ? "no write time read yet" : "not reported by " + s.kind)], { "data-lag": s.name })));
  $("changes").replaceChildren(...status.changes.map(renderChange));
  renderHealth(status.health);
  renderTransfers(status.transfers);
  const changed = status.sources.some((s) => staleSources.get(s.name) !== s.stale);
  staleSources.clear();
  for (const s of status.sources) staleSources.set(s.name, s.stale);
  if (changed) queueServices();
}

/** "1200 of 5000": a preloading source's progress; "-" for a source that loads on demand. */
function loaded(preload) {
  return preload ? preload.loaded + " of " + preload.listed : "-";
}

/** "median 1.2 ms, max 4 ms" over the recent lags, and their bars; "none" when nothing was timed. */
function lagCell(lag, none) {
  if (!lag || !lag.recent.length) return el("td", { class: "muted" }, none);
  const sorted = [...lag.recent].sort((a, b) => a - b);
  const text = "median " + sorted[Math.floor(sorted.length / 2)] + " ms, max " + sorted[sorted.length - 1] + " ms";
  const canvas = el("canvas", { width: "120", height: "26", role: "img", "aria-label": "recent lags: " + text });
  const ctx = canvas.getContext("2d");
  const max = Math.max(1, sorted[sorted.length - 1]);
  // A bar per change, newest on the right, as tall as its lag against the largest.
  ctx.fillStyle = color("--s3");
  lag.recent.forEach((ms, i) => {
    const height = Math.max(2, (ms / max) * 24);
    ctx.fillRect(120 - (lag.recent.length - i) * 2, 26 - height, 1.5, height);
  });
  return el("td", { class: "lag" }, canvas, " " + text);
}

/**
 * A progress bar per source still loading (--preload); gone once every source is loaded. Until
 * the source's listing is read the total is unknown, so the bar is indeterminate (no value).
 */
function renderLoading(sources) {
  $("loading").hidden = !sources.length;
  $("loading").replaceChildren(...sources.map((s) => el("div", { "data-loading": s.name },
    el("label", { for: "loading-" + s.name }, s.name + ": loading services"),
    el("progress", s.preload.listed
      ? { id: "loading-" + s.name, max: String(s.preload.listed), value: String(s.preload.loaded) }
      : { id: "loading-" + s.name }),
    s.preload.listed ? loaded(s.preload) : "listing services")));
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

function renderTop(top) {
  $("top").replaceChildren(...top.services.map((t) =>
    row([t.service, t.queries, el("td", { class: t.nxdomain ? "down" : "" }, t.nxdomain), el("td", { class: t.providers ? "" : "down" }, t.providers || "none")], { "data-top": t.service })));
  if (!top.services.length) $("top").replaceChildren(row([el("td", { colspan: "4", class: "muted" }, "no queries for services in the last minute")]));
}

function applyService(service) {
  const known = services.has(service.name);
  if (service.providers.length) services.set(service.name, service);
  else services.delete(service.name);
  if (known !== services.has(service.name)) sortedNames = null;
  queueServices();
}

/* Charts: the last 15 minutes, one sample a second (uPlot, drawn on canvas). */
const HISTORY = 900;
let samples = [];
/** Chart id -> { plot, columns(samples), shade(samples) }. Exposed for tests and debugging. */
const charts = new Map();
window.dnsbridgeCharts = charts;

function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function ratioOf(s) {
  const answers = s.hits + s.misses + s.forwarded;
  return answers ? (100 * s.hits) / answers : null;
}

/** Fills the spans where a source was disconnected, behind the series, and says on the figure what it drew. */
function shadePlugin(figure, disconnectedAt) {
  return { hooks: { drawClear: [(u) => {
    const xs = u.data[0];
    const down = disconnectedAt();
    const ctx = u.ctx;
    let bands = 0;
    ctx.save();
    ctx.fillStyle = color("--shade");
    for (let i = 0; i < xs.length; i++) {
      if (!down[i]) continue;
      let j = i;
      while (j + 1 < xs.length && down[j + 1]) j++;
      const from = u.valToPos(xs[i] - 1, "x", true);
      const to = u.valToPos(xs[j], "x", true);
      ctx.fillRect(Math.max(u.bbox.left, from), u.bbox.top, Math.max(2, to - from), u.bbox.height);
      bands++;
      i = j;
    }
    ctx.restore();
    figure.dataset.shadedBands = String(bands);
    figure.dataset.disconnected = String(down.length > 0 && down[down.length - 1] === true);
  }] } };
}

function makeChart(id, figure, series, columns, shade) {
  const axis = { stroke: color("--fg"), grid: { stroke: color("--grid") }, ticks: { stroke: color("--grid") } };
  const opts = {
    width: Math.max(200, figure.clientWidth),
    height: 170,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [axis, { ...axis, size: 48 }],
    series: [{}, ...series.map(([label, colour]) => ({ label, stroke: color(colour), width: 1.5, spanGaps: false }))],
    plugins: shade ? [shadePlugin(figure, () => shade(samples))] : [],
    legend: { live: false },
    cursor: { show: false },
  };
  const plot = new uPlot(opts, columns(samples), figure);
  plot.root.querySelector("canvas").setAttribute("aria-label", figure.querySelector("figcaption").textContent + " chart");
  plot.root.querySelector("canvas").setAttribute("role", "img");
  charts.set(id, { plot, figure, series, columns, shade });
}

/** The samples' times in seconds, uPlot's x values. */
function epochSeconds(list) {
  return list.map((s) => s.t / 1000);
}

function buildCharts() {
  for (const chart of charts.values()) chart.plot.destroy();
  charts.clear();
  makeChart("queries", $("chart-queries"), [["hits", "--s1"], ["misses", "--s2"], ["forwarded", "--s3"]],
    (l) => [epochSeconds(l), l.map((s) => s.hits), l.map((s) => s.misses), l.map((s) => s.forwarded)]);
  makeChart("latency", $("chart-latency"), [["p50", "--s3"], ["p99", "--s4"]],
    (l) => [epochSeconds(l), l.map((s) => s.p50), l.map((s) => s.p99)]);
  makeChart("ratio", $("chart-ratio"), [["hit ratio", "--s1"]], (l) => [epochSeconds(l), l.map(ratioOf)]);
  const checked = samples.some((s) => s.unhealthy !== null);
  $("chart-unhealthy").hidden = !checked;
  if (checked) makeChart("unhealthy", $("chart-unhealthy"), [["unhealthy", "--s4"]], (l) => [epochSeconds(l), l.map((s) => s.unhealthy)]);
  const sources = new Set();
  for (const s of samples) for (const name of Object.keys(s.sources)) sources.add(name);
  const holder = $("source-charts");
  holder.replaceChildren();
  const grid = el("div", { id: "charts-sources", class: "charts" });
  grid.style.marginTop = "1rem";
  holder.append(grid);
  for (const name of [...sources].sort()) {
    const figure = el("figure", { class: "chart", "data-source-chart": name }, el("figcaption", {}, name + ": watch events per second (shaded: disconnected)"));
    grid.append(figure);
    const at = (s) => s.sources[name];
    makeChart("source:" + name, figure, [["watch events", "--s5"]],
      (l) => [epochSeconds(l), l.map((s) => (at(s) ? at(s)[0] : null))],
      (l) => l.map((s) => at(s) !== undefined && at(s)[1] === 0));
  }
  chartsFor = sourcesKey();
}

/** The source names and whether health charts show: the charts are built again when they change. */
let chartsFor = "";
function sourcesKey() {
  const last = samples[samples.length - 1];
  return (last ? Object.keys(last.sources).sort().join(",") : "") + "|" + samples.some((s) => s.unhealthy !== null);
}

function drawCharts() {
  if (sourcesKey() !== chartsFor) return buildCharts();
  for (const chart of charts.values()) chart.plot.setData(chart.columns(samples));
}

function addSample(sample) {
  samples.push(sample);
  if (samples.length > HISTORY) samples = samples.slice(-HISTORY);
  drawCharts();
}

let resizeQueued = false;
window.addEventListener("resize", () => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => {
    resizeQueued = false;
    for (const chart of charts.values()) chart.plot.setSize({ width: Math.max(200, chart.figure.clientWidth), height: 170 });
  });
});
// The charts take their colours from the theme: a theme switch draws them again.
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", buildCharts);

const events = new EventSource("/events");
events.addEventListener("snapshot", (e) => {
  const snapshot = JSON.parse(e.data);
  services.clear();
  for (const service of snapshot.services) services.set(service.name, service);
  sortedNames = null;
  renderServices();
  renderStatus(snapshot.status);
  samples = snapshot.history.slice(-HISTORY);
  buildCharts();
  renderTop(snapshot.top);
});
events.addEventListener("top", (e) => renderTop(JSON.parse(e.data)));
events.addEventListener("service", (e) => applyService(JSON.parse(e.data)));
events.addEventListener("status", (e) => renderStatus(JSON.parse(e.data)));
events.addEventListener("sample", (e) => addSample(JSON.parse(e.data)));
events.addEventListener("error", () => { $("ready").textContent = "disconnected, retrying…"; $("ready").className = "down"; });
$("filter").addEventListener("input", () => { page = 0; renderServices(); });
$("prev").addEventListener("click", () => { page = Math.max(0, page - 1); renderServices(); });
$("next").addEventListener("click", () => { page++; renderServices(); });
</script>
</body>
</html>
`;
