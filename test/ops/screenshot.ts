/**
 * `npm run screenshot`: the README's picture of the status page (docs/status-page.png), made with
 * the test harness: a bridge on loopback with a registry file and health checks, a minute of load
 * (services that exist and one that does not), and a few registry changes. Bounded: about 70 s.
 */
import { mkdir } from 'node:fs/promises';
import { RRType } from '../../src/dns/constants.js';
import { startBridge } from '../harness/bridge.js';
import { eventually } from '../harness/eventually.js';
import { startLoad } from '../harness/load.js';
import { freePort } from '../harness/ports.js';
import { launchChromium } from './browser.js';
import { replaceFile, tempDir, writeTemp } from './helpers.js';

const OUTPUT = 'docs/status-page.png';
const LOAD_SECONDS = 60;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const http = await freePort();
  // Providers on loopback: the bridge's own HTTP port passes a TCP check, a closed port fails it.
  const closed = await freePort();
  const registry = (extra: string) =>
    `api: ["127.0.0.1:${http}", "127.0.0.2:${closed}"${extra}]\nweb: ["127.0.0.1:${http}"]\nbilling: ["127.0.0.1:${http}", "127.0.0.3:${http}"]\n`;
  const dir = await tempDir();
  const file = await writeTemp(dir, 'services.yaml', registry(''));
  const bridge = await startBridge(['--file', file, '--http', `127.0.0.1:${http}`, '--health-check', 'tcp', '--health-interval', '1000']);
  const browser = await launchChromium();
  try {
    const load = await startLoad(
      { host: '127.0.0.1', port: bridge.port },
      [
        ...['api', 'api', 'api', 'web', 'web', 'billing'].map((name) => ({ group: 'known', name: `${name}.service.local`, type: RRType.A })),
        { group: 'known', name: '_api._tcp.service.local', type: RRType.SRV },
        { group: 'unknown', name: 'payments.service.local', type: RRType.A },
      ],
      { perSecond: 400, timeoutMs: 2000, maxSeconds: LOAD_SECONDS },
    );
    for (let i = 0; i < 6; i++) {
      await pause((LOAD_SECONDS * 1000) / 7);
      await replaceFile(file, registry(i % 2 ? '' : `, "127.0.0.4:${http}"`));
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`http://${bridge.http}/`);
    await eventually(() => page.locator('[data-lag="file"] canvas').first().waitFor({ timeout: 5000 }));
    await page.waitForFunction(() => (window as any).dnsbridgeCharts?.get('unhealthy') !== undefined);
    await mkdir('docs', { recursive: true });
    await page.screenshot({ path: OUTPUT });
    await load.stop();
    console.log(`wrote ${OUTPUT}`);
  } finally {
    await browser.close();
    await bridge.stop();
  }
}

await main();
