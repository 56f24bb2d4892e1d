import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Route } from './http.js';

/** Files the status page loads, served from the installed packages: no build step, nothing fetched from elsewhere. */
const ASSETS: Record<string, { module: string; type: string }> = {
  '/assets/uplot.js': { module: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/assets/uplot.css': { module: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

/** Routes for the page's assets; each file is read once, at its first request. */
export function assetRoutes(): Route[] {
  const require = createRequire(import.meta.url);
  return Object.entries(ASSETS).map(([path, { module, type }]) => {
    let text: string | undefined;
    return {
      path,
      handle: (_req, res) => {
        text ??= readFileSync(require.resolve(module), 'utf8');
        res.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600' });
        res.end(text);
      },
    };
  });
}
