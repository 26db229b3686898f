/**
 * The board's own stylesheet, served from its origin: the order pages, and the search box it adds
 * to Bull Board's page. System typefaces and Bull Board's palette; no framework.
 */
export const STYLESHEET = `
:root { color-scheme: light; --om-fg: #1f2933; --om-muted: #5f6b7a; --om-line: #d9dee5; --om-bg: #f4f6f8;
  --om-card: #fff; --om-accent: #0f766e; --om-warn: #b45309; --om-bad: #b91c1c; --om-good: #15803d; }
.om-page { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--om-fg);
  background: var(--om-bg); }
.om-page header { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: center; padding: 0.75rem 1.5rem;
  background: var(--om-card); border-bottom: 1px solid var(--om-line); }
.om-page header .om-title { font-weight: 600; font-size: 1.1rem; color: var(--om-fg); text-decoration: none; }
.om-page header nav { display: flex; gap: 1rem; }
.om-page a { color: var(--om-accent); }
.om-page main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; }
.om-page h1 { font-size: 1.5rem; margin: 0 0 1rem; }
.om-page h2 { font-size: 1.1rem; margin: 0 0 0.75rem; }
.om-page section { background: var(--om-card); border: 1px solid var(--om-line); border-radius: 6px; padding: 1rem 1.25rem;
  margin-bottom: 1rem; }
.om-page table { border-collapse: collapse; width: 100%; }
.om-page th, .om-page td { text-align: left; vertical-align: top; padding: 0.35rem 0.75rem 0.35rem 0;
  border-bottom: 1px solid var(--om-line); }
.om-page th { font-weight: 500; color: var(--om-muted); white-space: nowrap; }
.om-page pre, .om-page code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; white-space: pre-wrap;
  word-break: break-word; margin: 0; }
.om-state { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600;
  text-transform: uppercase; letter-spacing: 0.03em; background: var(--om-line); }
.om-state-completed, .om-state-taken, .om-state-shipped { background: #dcfce7; color: var(--om-good); }
.om-state-failed, .om-state-person { background: #fee2e2; color: var(--om-bad); }
.om-state-pending, .om-state-active, .om-state-waiting, .om-state-delayed, .om-state-waiting-children,
.om-state-blocked, .om-state-refused { background: #fef3c7; color: var(--om-warn); }
.om-nowrap { white-space: nowrap; }
.om-doubt { border-left: 4px solid var(--om-bad); padding: 0.5rem 0.75rem; background: #fff5f5; margin: 0.75rem 0; }
.om-answer { border-radius: 6px; padding: 0.75rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.om-answer-ok { background: #f0fdf4; border-color: #86efac; }
.om-answer-refused { background: #fffbeb; border-color: #fcd34d; }
.om-actions form { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; margin: 0.5rem 0; }
.om-page button { font: inherit; padding: 0.4rem 0.9rem; border-radius: 6px; border: 1px solid var(--om-accent);
  background: var(--om-accent); color: #fff; cursor: pointer; }
.om-page button.om-secondary { background: var(--om-card); color: var(--om-accent); }
.om-page button:disabled { opacity: 0.5; cursor: not-allowed; }
.om-muted { color: var(--om-muted); }
.om-page input[name=id] { font: inherit; padding: 0.35rem 0.6rem; border: 1px solid var(--om-line); border-radius: 6px;
  width: 9rem; }

/* The search box on Bull Board's page, at the foot of its sidebar. */
.om-search { position: fixed; left: 0.75rem; bottom: 1rem; z-index: 1000; display: grid; grid-template-columns: 1fr auto;
  gap: 0.4rem; width: 13.5rem; padding: 0.6rem; border-radius: 8px; background: #fff; border: 1px solid #d9dee5;
  box-shadow: 0 2px 8px rgb(0 0 0 / 8%); font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
.om-search input { min-width: 0; font: inherit; padding: 0.3rem 0.5rem; border: 1px solid #d9dee5; border-radius: 6px; }
.om-search button { font: inherit; padding: 0.3rem 0.6rem; border-radius: 6px; border: 1px solid #0f766e;
  background: #0f766e; color: #fff; cursor: pointer; }
.om-search a { grid-column: 1 / -1; color: #0f766e; }

/* Bull Board's links to other sites (its releases, React Flow's credit): the page names no other origin. */
a[href^="http:"], a[href^="https:"] { display: none !important; }
`;
