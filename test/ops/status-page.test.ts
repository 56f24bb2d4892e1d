import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../harness/zookeeper.js';
import { launchChromium } from './browser.js';
import { get, getJson, replaceFile, scrape, tempDir, total, writeTemp } from './helpers.js';

describe('the status page in a real browser, with a registry file', () => {
  let bridge: BridgeProcess;
  let browser: Browser;
  let page: Page;
  let registry: string;

  before(async () => {
    const dir = await tempDir();
    registry = await writeTemp(dir, 'services.yaml', 'api: ["10.0.0.1:8080"]\n');
    const config = await writeTemp(dir, 'dnsbridge.yaml', `sources:\n  - { kind: file, name: static, datacenter: east, path: "${registry}" }\n`);
    bridge = await startBridge(['--config', config]);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
  });

  it('shows the services, their providers with source instance, datacenter and health, and the sources with kind and datacenter', async () => {
    await page.goto(`http://${bridge.http}/`);
    const provider = page.locator('[data-of="api"][data-provider="10.0.0.1:8080"]');
    await provider.waitFor();
    assert.deepEqual(await provider.locator('td').allTextContents(), [
      '10.0.0.1:8080',
      '10',
      '1',
      '',
      'static',
      'east',
      'live',
      '-',
      '',
      (await getJson(bridge.http, '/api/services/api')).body.providers[0].origin,
    ]);
    assert.deepEqual((await page.locator('[data-source="static"] td').allTextContents()).slice(0, 4), ['static', 'file', 'east', 'connected']);
    assert.equal(await page.locator('#ready').textContent(), 'ready');
  });

  it('shows a provider added to the registry without reloading, with the change listed', async () => {
    // A reload would lose this mark: it proves the page updated in place.
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    await dig(bridge.address, 'api.service.local');
    await replaceFile(registry, 'api: ["10.0.0.1:8080", {host: 10.0.0.9, port: 9090, tags: [canary]}]\nweb: ["10.0.1.1:80"]\n');
    await page.locator('[data-of="api"][data-provider="10.0.0.9:9090"]').waitFor();
    await page.locator('[data-of="web"][data-provider="10.0.1.1:80"]').waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
    const change = page.locator('#changes tr').filter({ hasText: '10.0.0.9:9090' }).first();
    assert.deepEqual((await change.locator('td').allTextContents()).slice(1), ['api', '10.0.0.9:9090', '', '', '2']);
    assert.match((await page.locator('#cache').textContent()) ?? '', /cache hit ratio/);
  });

  it('drops a removed provider from the page', async () => {
    await replaceFile(registry, 'web: ["10.0.1.1:80"]\n');
    await page.locator('[data-service="api"]').waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-of="web"]').count(), 1);
  });
});

describe('the status page in a real browser, with ZooKeeper', () => {
  let zk: ZooKeeperServer;
  let registrar: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  let browser: Browser;
  let page: Page;

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    // The ep2016 demo's layout: an ephemeral node per provider, named host:port, holding its pid.
    await registrar.create('/api/providers/10.0.0.1:8080', '{"pid": 1234}', 'ephemeral');
    bridge = await startBridge(['--zookeeper', zk.address, '--zk-session-timeout', '4000']);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
    // ZooKeeper is already down: the client need not wait for a goodbye.
    registrar?.raw.close();
    await zk?.stop();
  });

  it('shows a provider registered in ZooKeeper without reloading', async () => {
    // ZooKeeper paths are watched from a service's first query on.
    assert.equal((await dig(bridge.address, 'api.service.local')).status, 'NOERROR');
    await page.goto(`http://${bridge.http}/`);
    await page.locator('[data-of="api"][data-provider="10.0.0.1:8080"]').waitFor();
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    await registrar.create('/api/providers/10.0.0.2:8081', '{"pid": 1235}', 'ephemeral');
    const added = page.locator('[data-of="api"][data-provider="10.0.0.2:8081"]');
    await added.waitFor();
    assert.equal(await added.locator('td').nth(4).textContent(), 'zookeeper');
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
  });

  it('shows the registry lag of ZooKeeper changes: from the watch event, and from the write (the node\'s mtime)', async () => {
    const lag = page.locator('[data-lag="zookeeper"] td');
    await page.locator('[data-lag="zookeeper"] td:nth-child(3) canvas').waitFor();
    assert.match((await lag.nth(2).textContent()) ?? '', /^ median [\d.]+ ms, max [\d.]+ ms$/);
    // A Curator registration's child is read before it is served, so its mtime is known.
    const curator = { name: 'api', id: '6f1c', address: '10.0.0.3', port: 8082, sslPort: null, payload: null, registrationTimeUTC: Date.now(), serviceType: 'DYNAMIC', uriSpec: null };
    await registrar.create('/api/providers/6f1c', JSON.stringify(curator), 'ephemeral');
    await page.locator('[data-of="api"][data-provider="10.0.0.3:8082"]').waitFor();
    await page.locator('[data-lag="zookeeper"] td:nth-child(4) canvas').waitFor();
    assert.match((await lag.nth(3).textContent()) ?? '', /^ median [\d.]+ ms, max [\d.]+ ms$/);
    const { body } = await getJson(bridge.http, '/api/status');
    const figures = body.sources.find((s: { name: string }) => s.name === 'zookeeper').lag;
    assert.ok(figures.eventToAnswer.count >= 2 && figures.writeToAnswer.count >= 1, JSON.stringify(figures));
    await registrar.remove('/api/providers/6f1c');
    await page.locator('[data-of="api"][data-provider="10.0.0.3:8082"]').waitFor({ state: 'detached' });
  });

  it('marks the providers stale when ZooKeeper goes away, stays ready saying why, and counts the stale answers', async () => {
    await zk.stop();
    await page.locator('[data-of="api"] td.stale').first().waitFor();
    assert.notEqual(await page.locator('[data-source="zookeeper"] td').nth(3).textContent(), 'connected');
    const ready = await get(bridge.http, '/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.body, /^zookeeper: serving stale .*$/m);
    assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local')).answer), ['10.0.0.1', '10.0.0.2']);
    assert.ok((total(await scrape(bridge.http), 'dnsbridge_stale_answers_total') ?? 0) >= 1);
  });

  it('shades the outage on the source chart, and clears it when ZooKeeper is back (the outage stays in the history)', async () => {
    const chart = page.locator('[data-source-chart="zookeeper"]');
    await page.locator('[data-source-chart="zookeeper"][data-disconnected="true"]').waitFor();
    assert.ok(Number(await chart.getAttribute('data-shaded-bands')) >= 1);
    await zk.start();
    await page.locator('[data-source-chart="zookeeper"][data-disconnected="false"]').waitFor({ timeout: 30_000 });
    assert.equal(await chart.getAttribute('data-shaded-bands'), '1', 'the outage is one shaded span, now closed');
    assert.equal(await page.locator('[data-source="zookeeper"] td').nth(3).textContent(), 'connected');
  });
});
