/**
 * Opens a rendered report in real Chromium (driven by playwright-core) and checks that it
 * displays: every plot's SVG laid out with a non-zero size and drawn marks, no console or page
 * errors, and no request other than the file itself (the page must work offline).
 *
 * Needs a Chromium binary: `/usr/bin/chromium` (Debian: `apt-get install chromium`), or the
 * path in GREYBOX_CHROMIUM. Without one the test is skipped with a message; CI installs it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/node/report/index.js';
import { reportFixture } from './fixture.js';

const CHROMIUM =
  [process.env.GREYBOX_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p): p is string => p !== undefined && p !== '' && existsSync(p),
  ) ?? null;

if (CHROMIUM === null) {
  console.warn(
    'report browser test skipped: no Chromium at /usr/bin/chromium (install it with `apt-get install chromium`, ' +
      'or set GREYBOX_CHROMIUM to a Chromium binary)',
  );
}

/** What the page reports about each figure (computed in the browser). */
interface FigureCheck {
  readonly id: string;
  readonly svgs: number;
  readonly titled: number;
  readonly sizes: readonly { readonly width: number; readonly height: number }[];
  readonly marks: readonly number[];
  readonly caption: string;
}

/** Runs in the page: sizes and mark counts of the SVGs in every figure. */
const INSPECT_FIGURES = `[...document.querySelectorAll('figure')].map((f) => {
  const svgs = [...f.querySelectorAll('svg')];
  return {
    id: f.id,
    svgs: svgs.length,
    titled: svgs.filter((s) => s.firstElementChild && s.firstElementChild.tagName.toLowerCase() === 'title').length,
    sizes: svgs.map((s) => { const r = s.getBoundingClientRect(); return { width: r.width, height: r.height }; }),
    marks: svgs.map((s) => s.querySelectorAll('path, circle, rect, line').length),
    caption: f.querySelector(':scope > figcaption')?.textContent ?? '',
  };
})`;

describe('report in a browser', () => {
  let dir: string | null = null;
  afterAll(async () => {
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(CHROMIUM === null)(
    `renders every figure with marks and no errors in Chromium (skipped when ${'/usr/bin/chromium'} is missing)`,
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'greybox-report-'));
      const file = join(dir, 'report.html');
      await writeFile(file, await renderReport(reportFixture(3)), 'utf8');
      const url = pathToFileURL(file).href;

      const browser = await chromium.launch({
        executablePath: CHROMIUM ?? undefined,
        headless: true,
        // Root in containers and CI has no user namespaces for Chromium's sandbox.
        args: ['--no-sandbox', '--disable-gpu'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning')
            problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('request', (r) => requests.push(r.url()));
        await page.goto(url, { waitUntil: 'load' });

        const figures = (await page.evaluate(INSPECT_FIGURES)) as FigureCheck[];
        expect(figures.map((f) => f.id)).toEqual([
          'fig-fit-1',
          'fig-fit-2',
          'fig-fit-3',
          'fig-residuals-time',
          'fig-residuals-predicted',
          'fig-training',
          'fig-closure',
          'fig-graph',
        ]);
        for (const f of figures) {
          expect(f.svgs, f.id).toBe(1);
          expect(f.titled, `${f.id}: <title> first in the <svg>`).toBe(1);
          expect(f.sizes[0].width, f.id).toBeGreaterThan(100);
          expect(f.sizes[0].height, f.id).toBeGreaterThan(100);
          expect(f.marks[0], f.id).toBeGreaterThan(0);
          expect(f.caption.length, f.id).toBeGreaterThan(10);
        }
        // The subject id with markup in it shows as text, and no element came from it.
        expect(await page.locator('figure#fig-fit-2 figcaption strong').textContent()).toBe(
          `<script>alert("id")</script> & 'S2'`,
        );
        expect(await page.evaluate('document.scripts.length')).toBe(0);
        expect(await page.title()).toBe('Fit of pk_hybrid <test> & "report"');
        expect(problems).toEqual([]);
        expect(requests).toEqual([url]);
      } finally {
        await browser.close();
      }
    },
  );
});
