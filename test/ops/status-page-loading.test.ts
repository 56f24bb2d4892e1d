import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type zookeeper from 'node-zookeeper-client';
import type { Browser, Page } from 'playwright-core';
import { runCli, startBridge, type BridgeProcess } from '../harness/bridge.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../harness/zookeeper.js';
import { logShows } from '../sources/zookeeper/helpers.js';
import { launchChromium } from './browser.js';
import { get } from './helpers.js';

const SERVICES = 5000;
const service = (i: number) => `svc-${String(i).padStart(4, '0')}`;

/** Registers SERVICES services of one provider each, 50 to a ZooKeeper transaction. */
async function register(client: ZooKeeperTestClient): Promise<void> {
  const commit = (transaction: zookeeper.Transaction) =>
    new Promise<void>((resolve, reject) => transaction.commit((error) => (error ? reject(error) : resolve())));
  for (let first = 0; first < SERVICES; first += 200) {
    const batch = [];
    for (let start = first; start < Math.min(SERVICES, first + 200); start += 50) {
      const transaction = client.raw.transaction();
      for (let i = start; i < start + 50; i++) {
        transaction.create(`/${service(i)}`).create(`/${service(i)}/providers`).create(`/${service(i)}/providers/10.1.${i >> 8}.${i & 255}:8080`);
      }
      batch.push(commit(transaction));
    }
    await Promise.all(batch);
  }
}

describe('loading progress of a 5,000-service --preload, in a real browser', () => {
  let zk: ZooKeeperServer;
  let writer: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  let browser: Browser;
  let page: Page;

  before(async () => {
    zk = await startZooKeeper();
    writer = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    await register(writer);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
    await writer?.close();
    await zk?.stop();
  });

  it('shows a moving progress bar, /readyz 503, log lines and `dnsbridge ls` progress while loading, and no bar once ready', async () => {
    bridge = await startBridge(['--zookeeper', zk.address, '--preload']);
    await page.goto(`http://${bridge.http}/`);
    const seen: number[] = [];
    let readyzWhileLoading: number | undefined;
    let lsWhileLoading = '';
    // Polled as fast as the page answers: each value the bar shows on the way.
    for (;;) {
      const value = await page.evaluate(() => {
        const bar = document.querySelector<HTMLProgressElement>('#loading progress');
        // position is -1 while the bar is indeterminate: the listing is not read yet.
        return bar && !document.getElementById('loading')!.hidden ? { value: bar.value, max: bar.max, listed: bar.position !== -1 } : undefined;
      });
      if (value) {
        readyzWhileLoading ??= (await get(bridge.http, '/readyz')).status;
        if (value.listed) {
          assert.equal(value.max, SERVICES);
          if (seen.at(-1) !== value.value) seen.push(value.value);
          if (!lsWhileLoading) lsWhileLoading = (await runCli(['ls', '--http', bridge.http])).output;
        }
      } else if ((await page.locator('#ready').textContent()) === 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(seen.filter((value) => value > 0 && value < SERVICES).length >= 2, `the bar moved: ${seen.join(', ')}`);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'it only moves forward');
    assert.equal(readyzWhileLoading, 503);
    assert.match(lsWhileLoading, /^zookeeper\s+zookeeper\s.*\s\d+\/5000( loading)?\s/m);
    await logShows(bridge.output, `"msg":"source loaded: all ${SERVICES} services"`);
    assert.match(bridge.output(), /"msg":"source loading: \d+ of 5000 services"/);
    assert.equal(await page.locator('#loading').isHidden(), true);
    assert.equal((await get(bridge.http, '/readyz')).status, 200);
    assert.match((await runCli(['ls', '--http', bridge.http])).output, /^zookeeper\s.*\s5000\/5000\s/m);
  });

  it('pages through 5,000 services, 50 at a time, and filters them all', async () => {
    await page.locator('[data-service="svc-0000"]').waitFor();
    assert.equal(await page.locator('#page').textContent(), `1–50 of ${SERVICES}`);
    assert.equal(await page.locator('[data-service]').count(), 50);
    await page.locator('#next').click();
    assert.equal(await page.locator('#page').textContent(), `51–100 of ${SERVICES}`);
    assert.equal(await page.locator('[data-service]').first().getAttribute('data-service'), 'svc-0050');
    await page.locator('#filter').fill('svc-4999');
    assert.equal(await page.locator('#page').textContent(), '1–1 of 1 matching');
    assert.deepEqual(await page.locator('[data-service]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service'))), ['svc-4999']);
    await page.locator('#filter').fill('svc-49');
    assert.equal(await page.locator('#page').textContent(), '1–50 of 100 matching');
  });
});
