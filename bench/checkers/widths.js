// node widths.js BASE COOKIE PATH... : scrollWidth at 1280 and 390 px
const { chromium } = require('playwright-core'); const fs = require('fs');
(async () => {
  const [base, cookieFile, ...paths] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking'] });
  for (const w of [1280, 390]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: 900 } });
    if (cookieFile !== '-') await ctx.addCookies([{ name: 'broadsheet_session', value: fs.readFileSync(cookieFile,'utf8').trim(), url: base }]);
    const page = await ctx.newPage();
    for (const p of paths) { await page.goto(base + p); const sw = await page.evaluate(() => document.documentElement.scrollWidth); console.log(`${w}px ${p}: scrollWidth ${sw}${sw > w ? '  (wider than the window)' : ''}`); }
    await ctx.close();
  }
  await browser.close();
})();
