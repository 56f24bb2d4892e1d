import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig } from '../harness/dig.js';
import { launchChromium } from './browser.js';
import { getJson, tempDir, writeTemp } from './helpers.js';

describe('the status page in a real browser, with a registry file', () => {
  let bridge: BridgeProcess;
  let browser: Browser;
  let page: Page;
  let registry: string;

  before(async () => {
    registry = await writeTemp(await tempDir(), 'services.yaml', 'api: ["10.0.0.1:8080"]\n');
    bridge = await startBridge(['--file', registry]);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await bridge?.stop();
  });

  it('shows the services, their providers with source and health, and the sources', async () => {
    await page.goto(`http://${bridge.http}/`);
    const provider = page.locator('[data-of="api"][data-provider="10.0.0.1:8080"]');
    await provider.waitFor();
    assert.deepEqual(await provider.locator('td').allTextContents(), ['10.0.0.1:8080', '10', '1', '', 'file', 'live', (await getJson(bridge.http, '/api/services/api')).body.providers[0].origin]);
    assert.equal(await page.locator('[data-source="file"] td').nth(1).textContent(), 'connected');
    assert.equal(await page.locator('#ready').textContent(), 'ready');
  });

  it('shows a provider added to the registry without reloading, with the change listed', async () => {
    // A reload would lose this mark: it proves the page updated in place.
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    await dig(bridge.address, 'api.service.local');
    await writeFile(registry, 'api: ["10.0.0.1:8080", {host: 10.0.0.9, port: 9090, tags: [canary]}]\nweb: ["10.0.1.1:80"]\n');
    await page.locator('[data-of="api"][data-provider="10.0.0.9:9090"]').waitFor();
    await page.locator('[data-of="web"][data-provider="10.0.1.1:80"]').waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
    assert.match((await page.locator('#changes').textContent()) ?? '', /api10\.0\.0\.9:9090/);
    assert.match((await page.locator('#cache').textContent()) ?? '', /cache hit ratio/);
  });

  it('drops a removed provider from the page', async () => {
    await writeFile(registry, 'web: ["10.0.1.1:80"]\n');
    await page.locator('[data-service="api"]').waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-of="web"]').count(), 1);
  });
});
