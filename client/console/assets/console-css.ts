/** The console's stylesheet, served at /console/assets/console.css. Kept as a module so the compiled server (dist/) carries it without a copy step. */
export const CONSOLE_CSS = String.raw`/* psa-connector console: one small stylesheet, system fonts, no framework. */
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f9fafb; --card: #fff; --accent: #2563eb; --ok: #047857; --warn: #b45309; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px; z-index: 9; }
header.top { display: flex; align-items: center; gap: 18px; padding: 10px 20px; background: #0f172a; color: #e5e7eb; flex-wrap: wrap; }
header.top a { color: #e5e7eb; text-decoration: none; }
header.top a[aria-current] { color: #fff; border-bottom: 2px solid #60a5fa; }
.brand { font-weight: 700; letter-spacing: .02em; }
header nav { display: flex; gap: 14px; align-items: center; flex: 1; flex-wrap: wrap; }
.crumb { color: #64748b; } .conn { color: #fff; }
.who { display: flex; gap: 10px; align-items: center; margin: 0; }
.role { padding: 1px 6px; border-radius: 8px; background: #334155; font-size: 12px; }
main { padding: 18px 22px 40px; max-width: 1400px; margin: 0 auto; }
main:focus { outline: none; }
h1 { font-size: 22px; margin: 4px 0 14px; } h2 { font-size: 17px; margin: 22px 0 10px; } h3 { font-size: 15px; margin: 16px 0 8px; }
.muted { color: var(--muted); } .small { font-size: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 12px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.cards .card { margin: 0; }
.kpi { font-size: 22px; font-weight: 700; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: #374151; background: #f3f4f6; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.diff td.num.differs { color: var(--bad); font-weight: 600; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
.status { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; white-space: nowrap; background: #e5e7eb; }
.status-pending-review, .status-waiting, .status-scheduled, .status-unmapped { background: #fef3c7; color: #92400e; }
.status-failed, .status-failed-review, .status-rejected-event, .status-rejected { background: #fee2e2; color: #991b1b; }
.status-reconciled, .status-mapped, .status-applied, .status-ok { background: #d1fae5; color: #065f46; }
.status-skipped, .status-ended { background: #e5e7eb; color: #374151; }
.flash { border-radius: 8px; padding: 10px 14px; margin: 0 0 14px; border: 1px solid; }
.flash p { margin: 0; } .flash ul { margin: 6px 0 0 18px; padding: 0; }
.flash-ok { background: #ecfdf5; border-color: #a7f3d0; } .flash-error { background: #fef2f2; border-color: #fecaca; }
.warning { background: #fffbeb; border: 1px solid #fde68a; border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
form.inline { display: inline; margin: 0; }
.toolbar { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin: 8px 0 12px; }
.toolbar label, .field label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: #374151; }
.field { margin: 8px 0; }
input[type=text], input[type=search], input[type=password], input[type=email], input[type=month], input[type=url], select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; min-width: 0; }
textarea { width: 100%; min-height: 56px; }
button, .button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #cbd5e1; background: #fff; cursor: pointer; color: var(--fg); text-decoration: none; display: inline-block; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { border-color: #fca5a5; color: var(--bad); }
button.link { border: 0; background: none; color: #93c5fd; padding: 0; text-decoration: underline; }
button:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: 3px solid #93c5fd; outline-offset: 1px; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: end; margin: 10px 0; }
.group-head { display: flex; gap: 12px; align-items: baseline; margin: 18px 0 6px; }
.group-head h2 { margin: 0; }
.chart svg { width: 100%; max-width: 900px; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
.chart figcaption { margin-top: 6px; display: flex; gap: 14px; font-size: 12px; }
.legend { display: inline-flex; align-items: center; gap: 5px; }
.swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; }
.swatch-0 { background: #2563eb; } .swatch-1 { background: #d97706; } .swatch-2 { background: #059669; } .swatch-3 { background: #db2777; } .swatch-4 { background: #7c3aed; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin: 8px 0 14px; }
.tabs a { padding: 7px 12px; text-decoration: none; color: #374151; border-radius: 6px 6px 0 0; }
.tabs a[aria-current] { background: #fff; border: 1px solid var(--line); border-bottom-color: #fff; margin-bottom: -1px; color: var(--fg); font-weight: 600; }
.suggestion { display: flex; gap: 8px; align-items: center; padding: 2px 0; }
.score { font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12px; }
.login { max-width: 440px; margin: 60px auto; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.preview { background: #f8fafc; border: 1px dashed #cbd5e1; border-radius: 6px; padding: 6px 10px; margin: 6px 0; font-size: 12.5px; }
details summary { cursor: pointer; color: var(--accent); }
td.reason { min-width: 260px; }
.decision { margin-top: 4px; color: #374151; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
