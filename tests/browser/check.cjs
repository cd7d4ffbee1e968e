// The HTML report in a real browser: Debian's headless Chromium driven by playwright-core.
//
//   node tests/browser/check.cjs REPORT.html SCREENSHOT_DIR
//
// Loads the report from the file system with the network off and every non-file request
// aborted, and checks: no console message of level warning or error, no page error, no request
// but the file itself; the posture chart (8 bars) and the findings table; the filter (severity,
// strategy, rule, text, reset) and the "findings of this strategy" links; keyboard (the skip
// link is the first Tab stop); WCAG AA contrast of text in light and dark mode; the page
// without JavaScript (every finding shown, no filter); print media (no filter, a PDF).
// Writes report-light.png, report-dark.png and report.pdf into SCREENSHOT_DIR.
// Prints one JSON line of measurements; exits 1 with the failed checks listed.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const modules = process.env.EGGSEC_BROWSER_MODULES ||
  path.join(__dirname, '..', '..', 'target', 'browser-test', 'node_modules');
const { chromium } = require(path.join(modules, 'playwright-core'));

const [report, outDir] = process.argv.slice(2);
if (!report || !outDir) {
  console.error('usage: node check.cjs REPORT.html OUT_DIR');
  process.exit(2);
}
const url = 'file://' + path.resolve(report);
const executablePath = process.env.EGGSEC_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const failures = [];
function check(ok, what) {
  if (!ok) { failures.push(what); }
  return ok;
}

async function withContext(options, fn) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eggsec-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, args: ARGS, headless: true, offline: true,
    viewport: { width: 1280, height: 900 }, ...options,
  });
  const events = { console: [], errors: [], requests: [] };
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) { return route.continue(); }
    events.requests.push(u);
    return route.abort();
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    // 2 shared cores: generous timeouts (a timeout is a failure, never a pass).
    page.setDefaultTimeout(120000);
    page.on('console', (m) => events.console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => events.errors.push(String(e)));
    page.on('request', (r) => { if (r.url() !== url) { events.requests.push(r.url()); } });
    page.on('requestfailed', (r) => { if (r.url() !== url) { events.requests.push('failed ' + r.url()); } });
    await page.goto(url, { waitUntil: 'load' });
    await fn(page);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const label = options.javaScriptEnabled === false ? 'without JS' :
    (options.colorScheme || 'light');
  check(events.console.filter((l) => /^(error|warning)/.test(l)).length === 0,
    `${label}: console messages: ${JSON.stringify(events.console)}`);
  check(events.errors.length === 0, `${label}: page errors: ${JSON.stringify(events.errors)}`);
  check(events.requests.length === 0, `${label}: requests: ${JSON.stringify(events.requests)}`);
  return events;
}

// WCAG 2 contrast of every visible text element's colour on its effective background.
async function contrastFailures(page) {
  return page.evaluate(() => {
    function rgba(s) {
      const m = s.match(/rgba?\(([^)]+)\)/);
      if (!m) { return null; }
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    }
    function lum(c) {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
      return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    }
    function background(el) {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0.5) { return c; }
      }
      return rgba(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
    }
    const bad = [];
    const seen = new Set();
    for (const el of document.querySelectorAll('body *')) {
      if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') { continue; }
      const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || el.closest('svg')) { continue; }
      const style = getComputedStyle(el);
      const fg = rgba(style.color);
      const bg = background(el);
      const l1 = lum(fg), l2 = lum(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const key = `${el.tagName}.${el.className}:${style.color}/${JSON.stringify(bg)}`;
      if (ratio < 4.5 && !seen.has(key)) {
        seen.add(key);
        bad.push(`${key} ${ratio.toFixed(2)} "${el.textContent.trim().slice(0, 30)}"`);
      }
    }
    // SVG chart text and bars: text 4.5:1, bars 3:1 against the page.
    const page = background(document.body);
    for (const t of document.querySelectorAll('figure.chart svg text.label, figure.chart svg text.value')) {
      const c = rgba(getComputedStyle(t).fill);
      const r = (Math.max(lum(c), lum(page)) + 0.05) / (Math.min(lum(c), lum(page)) + 0.05);
      if (r < 4.5) { bad.push(`svg text ${r.toFixed(2)}`); break; }
    }
    for (const b of document.querySelectorAll('figure.chart svg rect.bar')) {
      const c = rgba(getComputedStyle(b).fill);
      const r = (Math.max(lum(c), lum(page)) + 0.05) / (Math.min(lum(c), lum(page)) + 0.05);
      if (r < 3) { bad.push(`svg bar ${b.parentElement.getAttribute('class')} ${r.toFixed(2)}`); }
    }
    return bad;
  });
}

(async () => {
  const started = Date.now();
  fs.mkdirSync(outDir, { recursive: true });
  const facts = { bytes: fs.statSync(report).size };

  await withContext({ colorScheme: 'light' }, async (page) => {
    // Keyboard: the first Tab stop is the skip link, and it leads to the content.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('skip')),
      'the first Tab stop is not the skip link');
    await page.keyboard.press('Enter');
    check(await page.evaluate(() => location.hash === '#main'), 'the skip link does not lead to the content');

    // The chart and the tables.
    const bars = await page.locator('#a0 figure.chart svg rect.bar').count();
    facts.bars = bars;
    check(bars === 8, `chart has ${bars} bars, expected 8`);
    const wide = await page.$$eval('#a0 figure.chart svg rect.bar', (r) => r.filter((x) => Number(x.getAttribute('width')) > 0).length);
    check(wide > 0, 'every bar of the chart is empty');
    const rows = await page.locator('#a0-findings table.findings-table tbody tr').count();
    const cards = await page.locator('#a0-findings article.finding').count();
    facts.findings = rows;
    check(rows > 0, 'the findings table has no row');
    check(rows === cards, `${rows} table rows but ${cards} finding cards`);
    check(await page.locator('#a0-first ol.first li').count() > 0, 'no "fix these first" item');
    check(await page.getByText('Currently implemented').count() > 0, 'no "Currently implemented" heading');
    check(await page.getByText('Missing implementation').count() > 0, 'no "Missing implementation" heading');
    check(await page.locator('pre.frame').count() > 0, 'no code frame');
    check(await page.locator('table.config tbody tr').count() > 0, 'no effective config row');
    check(await page.locator('table.plugins tbody tr').count() > 0, 'no plugin row');
    facts.trend = await page.locator('.trend svg').count();

    // The filter: visible with JS; severity, strategy, rule, text, reset.
    const form = page.locator('#a0-filters');
    check(await form.isVisible(), 'the filter form is not shown');
    const all = await page.$$eval('#a0-findings table.findings-table tbody tr', (r) => r.map((x) => ({ ...x.dataset })));
    const visible = () => page.$$eval('#a0-findings table.findings-table tbody tr', (r) => r.filter((x) => !x.hidden).map((x) => ({ ...x.dataset })));
    const visibleCards = () => page.$$eval('#a0-findings article.finding', (a) => a.filter((x) => !x.hidden).length);
    const sevs = [...new Set(all.map((f) => f.sev))];
    const keep = sevs.includes('high') ? 'high' : sevs[0];
    for (const s of sevs) {
      if (s !== keep) { await form.locator(`input[name=sev][value=${s}]`).uncheck(); }
    }
    let shown = await visible();
    check(shown.length === all.filter((f) => f.sev === keep).length && shown.every((f) => f.sev === keep),
      `severity filter: ${shown.length} shown for ${keep}`);
    check(await visibleCards() === shown.length, 'severity filter: cards and rows disagree');
    check((await page.locator('#a0-findings .shown').textContent()).includes(`Showing ${shown.length} of ${all.length}`),
      'severity filter: the count line is wrong');
    await form.locator('button[type=reset]').click();
    await page.waitForFunction((n) => document.querySelectorAll('#a0-findings table.findings-table tbody tr:not([hidden])').length === n, all.length);
    const strategy = all[all.length - 1].strategy;
    await form.locator('select[name=strategy]').selectOption(strategy);
    shown = await visible();
    check(shown.length === all.filter((f) => f.strategy === strategy).length && shown.every((f) => f.strategy === strategy),
      `strategy filter (${strategy}): ${shown.length} shown`);
    await form.locator('select[name=strategy]').selectOption('');
    const rule = all[0].rule;
    await form.locator('select[name=rule]').selectOption(rule);
    shown = await visible();
    check(shown.length === all.filter((f) => f.rule === rule).length && shown.every((f) => f.rule === rule),
      `rule filter (${rule}): ${shown.length} shown`);
    await form.locator('select[name=rule]').selectOption('');
    const file = all.find((f) => f.file).file;
    await form.locator('select[name=file]').selectOption(file);
    shown = await visible();
    check(shown.length === all.filter((f) => f.file === file).length, `file filter (${file}): ${shown.length} shown`);
    await form.locator('select[name=file]').selectOption('');
    await form.locator('input[name=q]').fill('zz-no-such-text-zz');
    check((await visible()).length === 0, 'text filter: a finding matched nonsense');
    await form.locator('input[name=q]').fill('');
    check((await visible()).length === all.length, 'clearing the text filter does not show all');
    // A strategy's "N findings of this strategy" link filters to it.
    const link = page.locator('#a0 a[data-filter-strategy]').first();
    if (await link.count()) {
      const s = await link.getAttribute('data-filter-strategy');
      await link.click();
      shown = await visible();
      check(shown.length > 0 && shown.every((f) => f.strategy === s), `strategy link (${s}) did not filter`);
      await form.locator('button[type=reset]').click();
      await page.waitForFunction((n) => document.querySelectorAll('#a0-findings table.findings-table tbody tr:not([hidden])').length === n, all.length);
    }


    const bad = await contrastFailures(page);
    check(bad.length === 0, `light contrast below AA: ${bad.join('; ')}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(outDir, 'report-light.png'), fullPage: false });

    // Print: no filter controls, a PDF.
    await page.emulateMedia({ media: 'print' });
    check(!(await form.isVisible()), 'the filter form shows in print');
    await page.pdf({ path: path.join(outDir, 'report.pdf'), format: 'A4', printBackground: false });
    facts.pdf_bytes = fs.statSync(path.join(outDir, 'report.pdf')).size;
  });

  await withContext({ colorScheme: 'dark' }, async (page) => {
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(bg !== 'rgb(255, 255, 255)', `dark mode: the background stays ${bg}`);
    const bad = await contrastFailures(page);
    check(bad.length === 0, `dark contrast below AA: ${bad.join('; ')}`);
    await page.screenshot({ path: path.join(outDir, 'report-dark.png'), fullPage: false });
  });

  await withContext({ javaScriptEnabled: false }, async (page) => {
    check(!(await page.locator('form.filters').first().isVisible()), 'without JS: the filter form shows');
    const rows = await page.locator('table.findings-table tbody tr').count();
    const cards = await page.locator('article.finding:visible').count();
    check(rows > 0 && cards === rows, `without JS: ${cards} of ${rows} findings visible`);
    check(await page.locator('#a0 figure.chart svg rect.bar').count() === 8, 'without JS: no chart');
  });

  facts.ms = Date.now() - started;
  console.log(JSON.stringify(facts));
  if (failures.length) {
    console.error('FAILED:\n  ' + failures.join('\n  '));
    process.exit(1);
  }
})().catch((e) => {
  console.error(e && e.stack || String(e));
  process.exit(1);
});
