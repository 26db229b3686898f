import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardPage } from '../../src/board/offline.ts';

/** The page Bull Board's installed version serves, before rendering. */
const installed = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json')), 'dist/index.ejs'),
  'utf8',
);

describe('boardPage', () => {
  it("drops the installed Bull Board page's links to other origins and adds the stylesheet and search box", () => {
    expect(installed).toMatch(/https:\/\/fonts\.googleapis\.com/);
    const page = boardPage(installed);
    expect(page).not.toMatch(/(?:https?:)?\/\/[a-z]/i);
    expect(page).toContain('<link href="ordermanagement.css" rel="stylesheet"></head>');
    expect(page).toMatch(/<body class="preload">\n<form class="om-search" action="orders" method="get" role="search">/);
    // Its own stylesheet stays.
    expect(page).toMatch(/<link href="static\/css\/main\.[0-9a-f]+\.css" rel="stylesheet">/);
  });

  it('drops every form of a link to another origin, and only those', () => {
    const head = [
      "<link rel='stylesheet' href='https://cdn.example/a.css'>",
      '<link href=//cdn.example/b.css rel=stylesheet>',
      '<link rel="preconnect" href="http://fonts.example">',
      '<link rel="icon" href="static/favicon.png">',
    ].join('\n');
    const page = boardPage(`<html><head>${head}</head><body></body></html>`);
    expect(page).not.toContain('example');
    expect(page).toContain('<link rel="icon" href="static/favicon.png">');
  });
});
