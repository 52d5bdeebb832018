/**
 * The report's style sheet, inlined into the page: a readable single column, plots that shrink
 * to the window, tables with aligned numbers, and a print layout without the navigation.
 */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1b1b1b; --muted: #5b5b5b; --rule: #d7d7d7; --accent: #1f5fa8; --warn: #9a3b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header, main, footer, nav { max-width: 1100px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-top: .5rem; border-top: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
a { color: var(--accent); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0 1rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav ol { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; padding: .5rem 0; margin: 0; }
p.lead { color: var(--muted); margin-top: 0; }
p.empty { color: var(--muted); font-style: italic; }
p.note, li.note { color: var(--warn); }
figure { margin: 1rem 0 1.5rem; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .35rem; }
table { border-collapse: collapse; margin: .75rem 0; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.flag { color: var(--warn); font-weight: 600; }
table.edges td { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
details { margin: .25rem 0 1rem; }
summary { cursor: pointer; color: var(--accent); }
pre.model { background: #f6f6f6; border: 1px solid var(--rule); padding: .75rem 1rem; overflow-x: auto; font-size: .85rem; line-height: 1.4; }
footer { color: var(--muted); font-size: .85rem; padding: 1.5rem 1.25rem 2rem; border-top: 1px solid var(--rule); margin-top: 2rem; }
@media print { nav { display: none; } figure, table { break-inside: avoid; } }
`;
