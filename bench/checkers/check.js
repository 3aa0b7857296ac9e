// Usage: node check.js BASE COOKIE_FILE PATH... ; prints vnu errors and axe violations per page, and totals.
const { chromium } = require('playwright-core');
const fs = require('fs');
const { execFileSync } = require('child_process');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
(async () => {
  const [base, cookieFile, ...paths] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const ctx = await browser.newContext({ viewport: { width: +(process.env.W || 1280), height: 900 }, bypassCSP: true });
  const cookie = cookieFile && cookieFile !== '-' ? fs.readFileSync(cookieFile, 'utf8').trim() : '';
  if (cookie) await ctx.addCookies([{ name: 'broadsheet_session', value: cookie, url: base }]);
  const page = await ctx.newPage();
  let vnuTotal = 0, axeTotal = 0;
  for (const p of paths) {
    const resp = await page.goto(base + p);
    const html = await resp.text();
    fs.writeFileSync('/tmp/page.html', html);
    let vnu = [];
    try {
      execFileSync('java', ['-jar', require('vnu-jar'), '--format', 'json', '--errors-only', '/tmp/page.html'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const out = JSON.parse(e.stderr.toString() || '{"messages":[]}');
      vnu = out.messages.filter(m => m.type === 'error');
    }
    await page.addScriptTag({ content: axeSource }).catch(() => {});
    let axe = [];
    try { axe = (await page.evaluate(async () => await axe.run())).violations; } catch (e) { axe = [{ id: 'axe-failed:' + e.message.slice(0, 80), nodes: [] }]; }
    vnuTotal += vnu.length; axeTotal += axe.length;
    console.log(`${resp.status()} ${p}: vnu ${vnu.length}, axe ${axe.length}`);
    for (const m of vnu) console.log(`   vnu: ${m.message.slice(0, 160)}`);
    for (const v of axe) console.log(`   axe: ${v.id} (${v.impact}) x${v.nodes.length}`);
  }
  console.log(`TOTAL pages ${paths.length}: vnu errors ${vnuTotal}, axe violations ${axeTotal}`);
  await browser.close();
})();
