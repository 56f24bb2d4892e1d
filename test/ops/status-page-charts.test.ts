import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { RRType } from '../../src/dns/constants.js';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { startEtcd, type EtcdServer } from '../harness/etcd.js';
import { eventually } from '../harness/eventually.js';
import { startLoad, type LoadGenerator } from '../harness/load.js';
import { query } from '../harness/wire.js';
import { launchChromium } from './browser.js';
import { getJson, replaceFile, tempDir, writeTemp } from './helpers.js';

/** Screenshots land here (gitignored), for a person to look at after a run. */
const ARTIFACTS = 'test-artifacts';

/** Pixels of a chart's canvas drawn in the colour of its series `index` (1-based, as uPlot numbers them). */
function seriesPixels(page: Page, chart: string, index: number): Promise<number> {
  return page.evaluate(
    ([id, i]) => {
      const chart = (window as any).dnsbridgeCharts.get(id);
      const canvas: HTMLCanvasElement = chart.plot.root.querySelector('canvas');
      const probe = document.createElement('canvas').getContext('2d')!;
      probe.fillStyle = chart.plot.series[i].stroke();
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let matching = 0;
      for (let p = 0; p < data.length; p += 4) {
        if (data[p + 3] > 200 && Math.abs(data[p] - r) + Math.abs(data[p + 1] - g) + Math.abs(data[p + 2] - b) < 60) matching++;
      }
      return matching;
    },
    [chart, index] as const,
  );
}

/** Every shown chart's canvas has pixels drawn on it: id -> count of non-transparent pixels. */
function paintedCharts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const painted: Record<string, number> = {};
    for (const [id, chart] of (window as any).dnsbridgeCharts as Map<string, any>) {
      const canvas: HTMLCanvasElement = chart.plot.root.querySelector('canvas');
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let p = 3; p < data.length; p += 4) if (data[p] > 0) count++;
      painted[id] = count;
    }
    return painted;
  });
}

/** axe-core run in the page: the violations of serious or critical impact. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const violations: { id: string; impact: string; nodes: { target: string[] }[] }[] = await page.evaluate('axe.run(document).then((r) => r.violations)');
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Resident memory of a process, from /proc (kB). */
async function rssKb(pid: number): Promise<number> {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
}

/**
 * Asks `count` distinct random service names over UDP, at most `window` unanswered at once (an
 * answer or a 2 s timeout frees a place). Bounded by `count`; resolves with the answers received.
 */
async function flood(server: { host: string; port: number }, count: number, window = 200): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const pending = new Map<number, NodeJS.Timeout>();
  let sent = 0;
  let answered = 0;
  return new Promise((resolve) => {
    const settle = (id: number) => {
      clearTimeout(pending.get(id));
      pending.delete(id);
      if (sent < count) send();
      else if (!pending.size) {
        socket.close();
        resolve(answered);
      }
    };
    const send = () => {
      const id = sent++ & 0xffff;
      pending.set(id, setTimeout(() => settle(id), 2000));
      socket.send(query(`flood-${sent}-${Math.random().toString(36).slice(2, 10)}.service.local`, RRType.A, { id }), server.port, server.host);
    };
    socket.on('message', (reply) => {
      const id = reply.readUInt16BE(0);
      if (!pending.has(id)) return;
      answered++;
      settle(id);
    });
    for (let i = 0; i < window; i++) send();
  });
}

describe('the status page charts, under load, in a real browser', () => {
  let bridge: BridgeProcess;
  let browser: Browser;
  let page: Page;
  let load: LoadGenerator;
  let registry: string;

  before(async () => {
    const dir = await tempDir();
    registry = await writeTemp(dir, 'services.yaml', 'api: ["10.0.0.1:8080"]\nweb: ["10.0.1.1:80", "10.0.1.2:80"]\n');
    bridge = await startBridge(['--file', registry]);
    const server = { host: '127.0.0.1', port: bridge.port };
    load = await startLoad(
      server,
      [
        { group: 'known', name: 'api.service.local', type: RRType.A },
        { group: 'known', name: 'web.service.local', type: RRType.SRV },
        { group: 'unknown', name: 'nothere.service.local', type: RRType.A },
      ],
      { perSecond: 300, timeoutMs: 2000, maxSeconds: 120 },
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await mkdir(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await load?.stop();
    await browser?.close();
    await bridge?.stop();
  });

  it('draws answers per second, latency and hit ratio from the load within seconds', async () => {
    await page.goto(`http://${bridge.http}/`);
    await page.waitForFunction(() => {
      const chart = (window as any).dnsbridgeCharts?.get('queries');
      return chart && chart.plot.data[1].some((hits: number | null) => (hits ?? 0) > 0);
    });
    assert.ok((await seriesPixels(page, 'queries', 1)) > 0, 'the hits series is drawn on the canvas');
    await page.waitForFunction(() => (window as any).dnsbridgeCharts.get('latency').plot.data[2].some((p99: number | null) => (p99 ?? 0) > 0));
    assert.ok((await seriesPixels(page, 'latency', 2)) > 0, 'the p99 series is drawn');
    await page.waitForFunction(() => (window as any).dnsbridgeCharts.get('ratio').plot.data[1].some((ratio: number | null) => (ratio ?? 0) > 50));
    assert.ok((await seriesPixels(page, 'ratio', 1)) > 0, 'the hit ratio is drawn');
    assert.equal(await page.locator('[data-source-chart="file"]').count(), 1, 'a chart per source');
  });

  it('lists the busiest services of the last minute, with NXDOMAIN counts and the one that has no provider', async () => {
    const api = page.locator('[data-top="api"]');
    await api.waitFor();
    assert.ok(Number(await api.locator('td').nth(1).textContent()) > 0);
    assert.deepEqual((await api.locator('td').allTextContents()).slice(2), ['0', '1']);
    const missing = page.locator('[data-top="nothere"]');
    await missing.waitFor();
    const [queries, nxdomain, providers] = (await missing.locator('td').allTextContents()).slice(1);
    assert.ok(Number(queries) > 0);
    assert.equal(nxdomain, queries, 'every query for it was NXDOMAIN');
    assert.equal(providers, 'none');
  });

  it('keeps the busiest-services sketch bounded through a flood of 100,000 random names, and still names the busy service', async (t) => {
    const server = { host: '127.0.0.1', port: bridge.port };
    const before = { rss: await rssKb(bridge.child.pid!), counters: (await getJson(bridge.http, '/api/top')).body.counters };
    assert.ok((await flood(server, 50_000)) > 45_000, 'the bridge answered the first half');
    const half = { rss: await rssKb(bridge.child.pid!), counters: (await getJson(bridge.http, '/api/top')).body.counters };
    assert.ok((await flood(server, 50_000)) > 45_000, 'the bridge answered the second half');
    const end = { rss: await rssKb(bridge.child.pid!), counters: (await getJson(bridge.http, '/api/top')).body.counters };
    t.diagnostic(`RSS kB before ${before.rss}, after 50,000 names ${half.rss}, after 100,000 ${end.rss}; sketch counters ${before.counters}, ${half.counters}, ${end.counters}`);
    // 256 counters in each of 6 ten-second windows: the sketch is full after the first half and grows no more.
    assert.ok(half.counters <= 256 * 6 && end.counters <= 256 * 6, `counters ${half.counters}, ${end.counters}`);
    const top = (await getJson(bridge.http, '/api/top')).body.services;
    assert.equal(top[0].service === 'api' || top[0].service === 'web' || top[0].service === 'nothere', true, JSON.stringify(top.slice(0, 3)));
    assert.ok(top.slice(0, 3).every((entry: { service: string }) => ['api', 'web', 'nothere'].includes(entry.service)), 'the flood\'s names rank below the busy services');
  });

  it('shows the registry lag of a change to the registry file, from the watch event and from the file\'s mtime', async () => {
    await replaceFile(registry, 'api: ["10.0.0.1:8080", "10.0.0.2:8080"]\nweb: ["10.0.1.1:80", "10.0.1.2:80"]\n');
    await page.locator('[data-lag="file"] td:nth-child(4) canvas').waitFor();
    const cells = await page.locator('[data-lag="file"] td').allTextContents();
    assert.equal(cells[1], '1', 'one service changed');
    for (const cell of cells.slice(2)) assert.match(cell, /^ median [\d.]+ ms, max [\d.]+ ms$/);
  });

  it('follows the browser theme, stays usable at 320 px, and saves screenshots of each', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, colorScheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(18, 20, 23)');
      for (const width of [1280, 320]) {
        await page.setViewportSize({ width, height: 900 });
        await page.waitForFunction((w) => [...(window as any).dnsbridgeCharts.values()].every((c: any) => c.plot.width <= w), width);
        await page.screenshot({ path: `${ARTIFACTS}/status-page-${colorScheme}-${width}.png`, fullPage: true });
        for (const [chart, pixels] of Object.entries(await paintedCharts(page))) assert.ok(pixels > 1000, `${chart} is drawn (${pixels} pixels) at ${width} px, ${colorScheme}`);
        assert.ok((await seriesPixels(page, 'queries', 1)) > 0, `the hits series drawn in the ${colorScheme} theme's colour at ${width} px`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no sideways scrolling of the page at ${width} px (${overflow} px too wide)`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('has no serious accessibility violations (axe-core) in either theme', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      assert.deepEqual(await seriousViolations(page), [], colorScheme);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });
});

describe('the status page charts with DNS workers (--workers 2)', () => {
  let bridge: BridgeProcess;
  let browser: Browser;

  before(async () => {
    const dir = await tempDir();
    bridge = await startBridge(['--file', await writeTemp(dir, 'services.yaml', 'api: ["10.0.0.1:8080"]\n'), '--workers', '2']);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
  });

  it('sums the answers of every worker, as /metrics does', async () => {
    const page = await browser.newPage();
    await page.goto(`http://${bridge.http}/`);
    await page.locator('[data-source-chart="file"]').waitFor();
    const answered = (): Promise<number> => page.evaluate('samples.reduce((sum, s) => sum + s.hits + s.misses + s.forwarded, 0)');
    const before = await answered();
    // Separate dig processes come from different ports: the kernel spreads them over both workers.
    for (let i = 0; i < 20; i++) await dig(bridge.address, 'api.service.local');
    await eventually(async () => assert.equal((await answered()) - before, 20), { attempts: 100, intervalMs: 100 });
  });
});

describe('registry lag of etcd changes', () => {
  let etcd: EtcdServer;
  let bridge: BridgeProcess;

  before(async () => {
    etcd = await startEtcd();
    await etcd.etcdctl('put', '/api/providers/a', '10.0.2.1:80');
    bridge = await startBridge(['--etcd', etcd.url]);
  });
  after(async () => {
    await bridge?.stop();
    await etcd?.close();
  });

  it('times a change from its watch event; etcd records no write time, so there is no write-to-answer lag', async () => {
    // etcd prefixes are watched from a service's first query on.
    assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local')).answer), ['10.0.2.1']);
    await etcd.etcdctl('put', '/api/providers/b', '10.0.2.2:80');
    const lag = await eventually(async () => {
      const { body } = await getJson(bridge.http, '/api/status');
      const figures = body.sources.find((s: { kind: string }) => s.kind === 'etcd').lag;
      assert.equal(figures?.eventToAnswer.count, 1);
      return figures;
    });
    assert.equal(lag.eventToAnswer.recent.length, 1);
    assert.ok(lag.eventToAnswer.recent[0] >= 0);
    assert.equal(lag.writeToAnswer, undefined);
    assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local')).answer), ['10.0.2.1', '10.0.2.2']);
  });
});
