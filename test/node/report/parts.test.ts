import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../src/node/report/escape.js';
import { formatNumber } from '../../../src/node/report/format.js';
import { boundFlag } from '../../../src/node/report/tables.js';
import type { ReportParameter } from '../../../src/node/report/types.js';
import { renameIds, renderVegaLite } from '../../../src/node/report/vegaSvg.js';

describe('escapeHtml', () => {
  it('replaces the five special characters and nothing else', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml('θ ∂x/∂t — ok')).toBe('θ ∂x/∂t — ok');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});

describe('formatNumber', () => {
  it('shows four significant digits without trailing zeros', () => {
    expect(formatNumber(Math.PI)).toBe('3.142');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(-4.0001)).toBe('-4');
    expect(formatNumber(1200.5)).toBe('1201');
    expect(formatNumber(250)).toBe('250');
    expect(formatNumber(1234567)).toBe('1.235e+6');
    expect(formatNumber(1e-7)).toBe('1e-7');
    expect(formatNumber(0.00123)).toBe('0.00123');
  });

  it('names the values that are not ordinary numbers', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0)).toBe('-0');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('−∞');
  });
});

describe('boundFlag', () => {
  const p = (
    value: number,
    scale: ReportParameter['scale'] = 'lin',
    lower = 0,
    upper = 10,
  ): ReportParameter => ({
    name: 'k',
    value,
    scale,
    lower,
    upper,
    initial: 1,
  });

  it('flags values on or beyond a bound', () => {
    expect(boundFlag(p(5))).toBe('');
    expect(boundFlag(p(0))).toBe('at lower bound');
    expect(boundFlag(p(10 - 1e-9))).toBe('at upper bound');
    expect(boundFlag(p(11))).toBe('outside bounds');
    expect(boundFlag(p(1e-9, 'log', 1e-9, Number.POSITIVE_INFINITY))).toBe('at lower bound');
    expect(boundFlag(p(2e-9, 'log', 1e-9, Number.POSITIVE_INFINITY))).toBe('');
    expect(boundFlag(p(3, 'lin', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY))).toBe('');
  });
});

describe('renameIds', () => {
  it('renames ids and references inside tags only, in order of appearance', () => {
    const svg =
      '<svg><g clip-path="url(#clip7)"><text>id="clip7" url(#clip7)</text></g>' +
      '<use href="#grad3"/><defs><clipPath id="clip7"/><linearGradient id="grad3"/></defs></svg>';
    expect(renameIds(svg, 'p')).toBe(
      '<svg><g clip-path="url(#p-1)"><text>id="clip7" url(#clip7)</text></g>' +
        '<use href="#p-2"/><defs><clipPath id="p-1"/><linearGradient id="p-2"/></defs></svg>',
    );
  });
});

describe('renderVegaLite', () => {
  it('renders a plot to SVG in Node with a title and renamed clip paths, the same every time', async () => {
    const spec = {
      width: 100,
      height: 50,
      data: { values: [0, 1, 2, 3].map((t) => ({ t, y: t * t })) },
      mark: { type: 'line' as const, clip: true },
      encoding: {
        x: { field: 't', type: 'quantitative' as const },
        y: { field: 'y', type: 'quantitative' as const, scale: { domain: [0, 4] } },
      },
    };
    const first = await renderVegaLite(spec, { idPrefix: 'plot', title: 'y < 4 & "t"' });
    const second = await renderVegaLite(spec, { idPrefix: 'plot', title: 'y < 4 & "t"' });
    expect(second.svg).toBe(first.svg);
    expect(first.warnings).toEqual([]);
    expect(first.svg).toMatch(
      /^<svg role="img" aria-labelledby="plot-title" [^>]*><title id="plot-title">y &lt; 4 &amp; &quot;t&quot;<\/title>/,
    );
    expect(first.svg).toContain('clip-path="url(#plot-1)"');
    expect(first.svg).toContain('<clipPath id="plot-1">');
    expect(first.svg).toMatch(/<path [^>]*d="M0,/); // the line itself
  });

  it('returns what Vega warns about instead of printing it', async () => {
    const { warnings } = await renderVegaLite(
      {
        data: { values: [] },
        mark: 'point',
        encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      { idPrefix: 'e', title: 'empty' },
    );
    expect(warnings.some((w) => w.includes('Infinite extent'))).toBe(true);
  });
});
