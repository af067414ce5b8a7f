// The browser suite: starts Redress on a fresh data dir with demo data and drives Debian's
// headless Chromium through the buyer's and the reviewers' pages. The server is a test
// fixture with a manual clock (REDRESS_TESTING, REDRESS_TEST_CLOCK): time stands still until
// the suite moves it (POST /test/clock), so deadlines and the refund's arrival are reached
// without waiting for them. Run by `scripts/test` when
// Chromium and e2e/node_modules are present, and always by `.ci/run`.
//
//   REDRESS_BIN           the redress binary (default: target/debug/redress, else
//                         target/release/redress, whichever is there)
//   REDRESS_SCREENSHOTS   where screenshots go (default: e2e/artifacts/screenshots; the README's
//                         come from REDRESS_SCREENSHOTS=$PWD/docs/screenshots scripts/test)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const bin = process.env.REDRESS_BIN
  || ['debug', 'release'].map((p) => path.join(root, 'target', p, 'redress')).find((b) => existsSync(b));
if (!bin) {
  throw new Error('no redress binary: build one (cargo build, or cargo build --release) or set REDRESS_BIN');
}
const shots = process.env.REDRESS_SCREENSHOTS || path.join(root, 'e2e/artifacts/screenshots');
const PASSWORD = 'redress-demo';
const PHONE = { width: 360, height: 780 };
const DESKTOP = { width: 1280, height: 900 };
// A 1×1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000'
  + '1f15c4890000000d4944415478da63f8cfc0f01f00050001ff56c72f0d0000000049454e44ae426082', 'hex');
const CJK = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
const SETTLE_SECS = 3600;
// axe-core, run inside a page to check it for accessibility problems.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let redress;
let base;
let dataDir;
let browser;
let evil;
let evilBase;
let cspViolations = [];

function startRedress() {
  dataDir = mkdtempSync(path.join(tmpdir(), 'redress-e2e-'));
  const child = spawn(bin, ['serve', '--demo', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The sandbox settles a refund an hour after it is asked: only when the clock is moved.
    env: { ...process.env, REDRESS_TESTING: '1', REDRESS_TEST_CLOCK: new Date().toISOString(),
      REDRESS_SANDBOX_SETTLE_SECS: String(SETTLE_SECS) },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`redress exited with ${code}: ${out}`)));
    child.on('error', reject);
  });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  const started = await startRedress();
  redress = started.child;
  base = started.url;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // A page on another origin (same host, other port) that posts a form to Redress.
  evil = http.createServer((req, res) => {
    const target = new URL(req.url, 'http://x').searchParams.get('target') || '/';
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><form method="post" action="${base}${target}">
      <input type="hidden" name="action" value="delete"><button id="go">win a prize</button></form>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  evilBase = `http://127.0.0.1:${evil.address().port}`;
});

after(async () => {
  await browser?.close();
  evil?.close();
  redress?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function newPage(viewport, locale = 'zh-CN') {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  return page;
}

async function login(page, user) {
  await page.goto(`${base}/login`);
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('form.form button[type=submit]')]);
}

async function logout(page) {
  await Promise.all([page.waitForURL('**/login'), page.click('form[action="/logout"] button')]);
}

async function stateOf(page) {
  return (await page.getAttribute('#state', 'class')).split(' ').find((c) => c.startsWith('state-'));
}

async function submitAndWait(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** axe-core's serious and critical violations on the page as it stands, one line each. */
async function axeViolations(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Moves the server's clock forward; its new time. */
async function advanceClock(secs) {
  const res = await fetch(`${base}/test/clock`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance_secs: secs }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text).now;
}

/** Reloads `page` until its application is in `state` (the jobs work in the background). */
async function reloadUntilState(page, state, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.reload();
    if (await stateOf(page) === state) return;
    assert.ok(Date.now() < deadline, `${page.url()} is still ${await stateOf(page)}, not ${state}`);
    await page.waitForTimeout(200);
  }
}

async function noHorizontalScroll(page) {
  const [scroll, width, culprit] = await page.evaluate(() => {
    const w = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')].find((e) => e.getBoundingClientRect().right > w + 1);
    return [document.documentElement.scrollWidth, w, wide ? wide.outerHTML.slice(0, 120) : ''];
  });
  assert.ok(scroll <= width, `${page.url()} scrolls sideways: ${scroll} > ${width} (${culprit})`);
}

let applicationNo;

test('the whole journey: draft, resume after logout, information, rejection, appeal, approval', async () => {
  const buyer = await newPage(PHONE);
  await login(buyer, 'lin');
  assert.match(buyer.url(), /\/orders$/);
  await noHorizontalScroll(buyer);
  await buyer.screenshot({ path: path.join(shots, 'orders-phone.png') });

  // Pick an order paid by WeChat Pay that nothing is open on yet: its refund is processed
  // until the clock moves (Alipay answers a refund as paid at once), and the demo's orders
  // share a creation time, so their order on the page is not fixed.
  const apply = buyer.locator('li.card.order', { hasText: '微信支付' }).locator('a.button.primary[href$="/apply"]');
  assert.ok((await apply.count()) > 0, 'lin has an order to apply for');
  const href = await apply.first().getAttribute('href');
  const headers = (await buyer.goto(base + href)).headers();
  assert.match(headers['content-security-policy'], /default-src 'none'/);

  // The form: the explanation is there before submitting; the amount defaults to the maximum.
  const explanation = await buyer.textContent('#entitlement');
  assert.ok(explanation.trim().length > 20, explanation);
  const maxFen = Number(await buyer.getAttribute('#max-refundable', 'data-fen'));
  assert.ok(maxFen > 100, `max ${maxFen}`);
  assert.equal(Math.round(Number(await buyer.inputValue('#amount')) * 100), maxFen);
  // Live check: too much is flagged as typed.
  await buyer.fill('#amount', String(maxFen / 100 + 1));
  await buyer.waitForFunction(() => document.getElementById('amount-hint').classList.contains('bad'));
  // Partial refund, described; the draft saves itself, then is saved by the button too.
  await buyer.selectOption('#reason', 'quantity_short');
  await buyer.fill('#amount', '5.00');
  await buyer.fill('#description', '截止时只交付了一部分，申请部分退款。');
  // A draft is addressed by its id; it gets its number when it is submitted.
  await buyer.waitForURL(/\/applications\/DR-[0-9A-Z]{14}\/edit$/);
  await submitAndWait(buyer, 'button[value=save]');
  const draftId = /DR-[0-9A-Z]{14}/.exec(buyer.url())[0];
  assert.ok(await buyer.isVisible('.notice'));

  // Sign out, come back, resume the draft from the orders page.
  await logout(buyer);
  await login(buyer, 'lin');
  await submitAndWait(buyer, `a[href="/applications/${draftId}/edit"]`);
  assert.equal(await buyer.inputValue('#amount'), '5.00');
  assert.equal(await buyer.inputValue('#description'), '截止时只交付了一部分，申请部分退款。');
  assert.equal(await buyer.inputValue('#reason'), 'quantity_short');
  // Evidence: a delivery screenshot, uploaded with the progress bar (JavaScript on).
  await buyer.selectOption('#evidence-kind', 'delivery_progress');
  await buyer.fill('#evidence-caption', '截止时的后台截图');
  await buyer.setInputFiles('#evidence-file', { name: '后台截图.png', mimeType: 'image/png', buffer: PNG });
  await Promise.all([buyer.waitForURL(/\?done=uploaded$/), buyer.click('form[data-upload] button[type=submit]')]);
  assert.equal(await buyer.locator('.files li').count(), 1);
  assert.equal(await buyer.inputValue('#amount'), '5.00', 'the draft is untouched by the upload');
  // A file that is not what it says is refused with the reason, in place.
  await buyer.selectOption('#evidence-kind', 'other');
  await buyer.setInputFiles('#evidence-file', { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('<html>hi</html>') });
  await buyer.click('form[data-upload] button[type=submit]');
  await buyer.waitForFunction(() => document.querySelector('[data-upload-status]').classList.contains('bad'));
  assert.ok((await buyer.textContent('[data-upload-status]')).includes('PDF'));
  assert.equal(await buyer.locator('.files li').count(), 1);
  await noHorizontalScroll(buyer);
  await buyer.screenshot({ path: path.join(shots, 'apply-phone.png'), fullPage: true });
  await submitAndWait(buyer, 'button[value=submit]');
  applicationNo = (await buyer.textContent('#application-no')).trim();
  assert.match(applicationNo, /^RF-\d{8}-[0-9A-Z]{6}$/);
  assert.ok(buyer.url().includes(`/applications/${applicationNo}`));
  assert.ok((await buyer.textContent('.notice')).includes(applicationNo));
  assert.equal(await stateOf(buyer), 'state-submitted');
  await buyer.screenshot({ path: path.join(shots, 'submitted-phone.png'), fullPage: true });

  // The reviewer asks for more information.
  const desk = await newPage(DESKTOP);
  await login(desk, 'wang');
  assert.match(desk.url(), /\/desk$/);
  assert.ok(await desk.isVisible(`a[href="/desk/${applicationNo}"]`));
  await desk.screenshot({ path: path.join(shots, 'queue-desktop.png'), fullPage: true });
  await submitAndWait(desk, `a[href="/desk/${applicationNo}"]`);
  // The buyer's file is on the desk as a thumbnail rebuilt from its pixels, and downloadable
  // as an attachment.
  const thumb = await desk.request.get(base + await desk.getAttribute('.files li img', 'src'));
  assert.equal(thumb.status(), 200);
  assert.equal(thumb.headers()['content-type'], 'image/png');
  const fileHref = await desk.getAttribute('.files li a[download]', 'href');
  const file = await desk.request.get(base + fileHref);
  assert.equal(file.status(), 200);
  assert.match(file.headers()['content-disposition'], /^attachment;/);
  assert.deepEqual(Buffer.from(await file.body()), PNG);
  await submitAndWait(desk, 'form[action$="/claim"] button');
  assert.equal(await stateOf(desk), 'state-in_review');
  await desk.fill('#info-message', '请补充截止时间的后台数据截图。');
  await submitAndWait(desk, 'form[action$="/request-info"] button');
  assert.equal(await stateOf(desk), 'state-info_requested');

  // The buyer answers.
  await buyer.goto(`${base}/applications/${applicationNo}`);
  assert.ok((await buyer.textContent('#supplement blockquote')).includes('后台数据截图'));
  await buyer.fill('#supplement-text', '截图显示截止时只到账一半。');
  await submitAndWait(buyer, '#supplement button');
  assert.equal(await stateOf(buyer), 'state-in_review', 'the answer goes back to the reviewer who asked');

  // The reviewer rejects; a rejection without its reason code is refused next to the field.
  await desk.goto(`${base}/desk/${applicationNo}`);
  await desk.fill('#reject-text', '证据不足。');
  await desk.evaluate(() => document.getElementById('reject-code').removeAttribute('required'));
  await submitAndWait(desk, 'form[action$="/reject"] button');
  assert.ok(await desk.isVisible('form[action$="/reject"] .field-error'));
  assert.equal(await desk.inputValue('#reject-text'), '证据不足。', 'the text typed is kept');
  await desk.selectOption('#reject-code', 'insufficient_evidence');
  await submitAndWait(desk, 'form[action$="/reject"] button');
  assert.equal(await stateOf(desk), 'state-rejected');

  // The buyer appeals.
  await buyer.goto(`${base}/applications/${applicationNo}`);
  await buyer.fill('#appeal-text', '补充了第三方监测数据，请复核。');
  await submitAndWait(buyer, '#appeal button');
  assert.equal(await stateOf(buyer), 'state-appealed');

  // The original reviewer may not decide the appeal; the level-2 reviewer approves.
  await desk.goto(`${base}/desk/${applicationNo}`);
  await submitAndWait(desk, 'form[action$="/claim"] button');
  assert.ok(await desk.isVisible('.alert'), 'the first reviewer is refused the appeal');
  assert.equal(await stateOf(desk), 'state-appealed');
  await logout(desk);
  await login(desk, 'li');
  await desk.goto(`${base}/desk/${applicationNo}`);
  await submitAndWait(desk, 'form[action$="/claim"] button');
  assert.equal(await desk.inputValue('#approve-amount'), '5.00');
  await submitAndWait(desk, 'form[action$="/approve"] button');
  // The payout worker may already have sent it to the (sandbox) channel; it has not arrived,
  // as the clock has not moved.
  const approved = await stateOf(desk);
  const pageText = async () => `${desk.url()} ${(await desk.content()).replace(/\s+/g, ' ').slice(0, 6000)}`;
  assert.ok(['state-approved', 'state-refunding'].includes(approved), `approved or refunding, not ${approved}: ${await pageText()}`);
  assert.ok(await desk.isVisible('#payouts'), `the payout is shown to staff: ${await pageText()}`);
  await desk.screenshot({ path: path.join(shots, 'review-desktop.png'), fullPage: true });

  // The buyer sees the approved amount and every step on the timeline.
  await buyer.goto(`${base}/applications/${applicationNo}`);
  assert.equal((await buyer.textContent('#approved-amount')).trim(), '¥5.00');
  const events = await buyer.$$eval('.timeline li', (lis) => lis.map((li) => li.className));
  for (const kind of ['submitted', 'claimed', 'info_requested', 'supplemented', 'rejected', 'appealed', 'approved']) {
    assert.ok(events.includes(`event event-${kind}`), `${kind} in ${events}`);
  }
  await noHorizontalScroll(buyer);
  await buyer.screenshot({ path: path.join(shots, 'approved-phone.png'), fullPage: true });

  // An hour later the channel has paid it back, and says so: the refund has arrived.
  await advanceClock(SETTLE_SECS + 1);
  await reloadUntilState(buyer, 'state-refunded');
  const after = await buyer.$$eval('.timeline li', (lis) => lis.map((li) => li.className));
  assert.ok(after.includes('event event-refunded'), `refunded in ${after}`);

  // Every step was told: the header counts the unread, the notification centre lists them on
  // a phone, opening one leads to the application, and "mark all read" clears the count.
  const unread = Number(await buyer.getAttribute('a.bell', 'data-unread'));
  assert.ok(unread >= 5, `unread ${unread}`);
  await buyer.click('a.bell');
  await buyer.waitForURL('**/notifications');
  const kinds = await buyer.$$eval('[data-notification]', (els) => els.map((e) => e.dataset.notification));
  for (const kind of ['payout.succeeded', 'application.approved', 'application.rejected', 'application.info_requested']) {
    assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
  }
  assert.ok(!kinds.includes('application.supplemented'), 'staff notifications are not the buyer\'s');
  await noHorizontalScroll(buyer);
  await buyer.screenshot({ path: path.join(shots, 'notifications-phone.png'), fullPage: true });
  // (Other applications' payouts may settle meanwhile, so the one opened is checked, not the
  // count.)
  const opened = await buyer.$eval('.notification.unread form', (f) => f.getAttribute('action'));
  await Promise.all([buyer.waitForURL(`**/applications/${applicationNo}`), buyer.click('.notification.unread button[type=submit]')]);
  await buyer.goto(`${base}/notifications`);
  const still = await buyer.$eval(`form[action="${opened}"]`, (f) => f.closest('.notification').classList.contains('unread'));
  assert.equal(still, false, `${opened} is read once opened`);
  const listed = await buyer.$$eval('.notification form', (fs) => fs.map((f) => f.getAttribute('action')));
  await submitAndWait(buyer, 'form[action="/notifications/read"] button');
  const unreadNow = await buyer.$$eval('.notification.unread form', (fs) => fs.map((f) => f.getAttribute('action')));
  assert.deepEqual(unreadNow.filter((a) => listed.includes(a)), [], 'everything listed is read');
  assert.ok(Number(await buyer.getAttribute('a.bell', 'data-unread')) < unread);
  assert.deepEqual(cspViolations, []);
});

test("a buyer cannot open another buyer's application by editing the URL", async () => {
  assert.ok(applicationNo);
  const other = await newPage(DESKTOP);
  await login(other, 'zhao');
  for (const p of [`/applications/${applicationNo}`, `/applications/${applicationNo}/edit`]) {
    const res = await other.goto(base + p);
    assert.equal(res.status(), 404, p);
    assert.ok(!(await other.content()).includes('5.00'), 'nothing of the application is shown');
  }
  const res = await other.goto(`${base}/desk/${applicationNo}`);
  assert.equal(res.status(), 403, 'the desk is for staff');
});

test('a form posted from a page on another origin is refused and changes nothing', async () => {
  const page = await newPage(DESKTOP);
  await login(page, 'lin');
  const draft = await page.getAttribute('a[href$="/edit"]', 'href');
  assert.ok(draft, 'lin has a draft');
  await page.goto(`${evilBase}/?target=${encodeURIComponent(draft)}`);
  const [res] = await Promise.all([page.waitForNavigation(), page.click('#go')]);
  assert.equal(res.status(), 403);
  assert.ok(CJK.test(await page.textContent('main')), 'the refusal is explained');
  const again = await page.goto(base + draft);
  assert.equal(again.status(), 200, 'the draft is still there');
  assert.ok(await page.isVisible('#apply-form'));
});

async function visibleWords(page) {
  return page.evaluate(() => {
    const clone = document.body.cloneNode(true);
    // What people and merchants wrote, and the other language's own name, are not labels.
    clone.querySelectorAll('[data-content], [lang]').forEach((e) => e.remove());
    return clone.textContent;
  });
}

test('the English switcher changes every visible label, and is remembered', async () => {
  const page = await newPage(PHONE, 'zh-CN');
  await login(page, 'lin');
  assert.ok(CJK.test(await visibleWords(page)), 'zh-CN by default');
  await submitAndWait(page, '[data-switch-lang]');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  const draft = await page.getAttribute('a[href$="/edit"]', 'href');
  const pages = ['/orders', '/applications', `/applications/${applicationNo}`, '/help', draft];
  for (const p of pages) {
    await page.goto(base + p);
    const words = await visibleWords(page);
    const cjk = words.match(new RegExp(CJK.source + '.{0,20}', 'g'));
    assert.equal(cjk, null, `${p} still shows ${cjk}`);
  }
  await page.screenshot({ path: path.join(shots, 'apply-en-phone.png'), fullPage: true });
  await logout(page);
  await login(page, 'wang');
  for (const p of ['/desk', `/desk/${applicationNo}`, '/desk?min_amount=abc']) {
    await page.goto(base + p);
    const words = await visibleWords(page);
    const cjk = words.match(new RegExp(CJK.source + '.{0,20}', 'g'));
    assert.equal(cjk, null, `${p} still shows ${cjk}`);
  }
  await page.setViewportSize(DESKTOP);
  await page.goto(`${base}/desk`);
  await page.screenshot({ path: path.join(shots, 'queue-en-desktop.png'), fullPage: true });
});

test('pages work without JavaScript: apply, save, submit', async () => {
  const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', javaScriptEnabled: false });
  const page = await context.newPage();
  await login(page, 'emma');
  assert.equal(await page.getAttribute('html', 'lang'), 'en', "emma's account is in English, the browser is not");
  const apply = page.locator('a.button.primary[href$="/apply"]');
  assert.ok((await apply.count()) > 0, 'emma has an order to apply for');
  await submitAndWait(page, 'a.button.primary[href$="/apply"] >> nth=0');
  await page.selectOption('#reason', 'service_interrupted');
  await page.fill('#amount', '0.01');
  await page.fill('#description', 'No JavaScript here.');
  await submitAndWait(page, 'button[value=save]');
  assert.match(page.url(), /\/applications\/DR-[0-9A-Z]{14}\/edit\?done=saved$/);
  assert.equal(await page.inputValue('#amount'), '0.01');
  // A plain multipart form uploads without JavaScript too.
  await page.selectOption('#evidence-kind', 'payment_record');
  await page.setInputFiles('#evidence-file', { name: 'receipt.png', mimeType: 'image/png', buffer: PNG });
  await submitAndWait(page, 'form[data-upload] button[type=submit]');
  assert.match(page.url(), /\/edit\?done=uploaded$/);
  assert.equal(await page.locator('.files li').count(), 1);
  await submitAndWait(page, 'button[value=submit]');
  assert.match(page.url(), /\?done=submitted$/);
  assert.ok(['state-submitted', 'state-approved', 'state-refunding', 'state-refunded'].includes(await stateOf(page)));
  await context.close();
});

// Last: it moves the clock by days, past every session and deadline of the tests above.
test('the API reference renders at /api/docs under the pages\' security policy', async () => {
  const before = cspViolations.length;
  const page = await newPage(DESKTOP, 'en');
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const res = await page.goto(`${base}/api/docs`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  // Swagger UI reads the document and lists its operations, by tag.
  await page.waitForSelector('.opblock-tag', { timeout: 20000 });
  const tags = await page.$$eval('.opblock-tag', (els) => els.map((e) => e.getAttribute('data-tag')));
  for (const tag of ['buyer', 'staff', 'merchant']) assert.ok(tags.includes(tag), `${tag} in ${tags}`);
  assert.ok((await page.locator('[data-path="/api/v1/review/queue"]').count()) > 0, 'the queue is listed');
  assert.deepEqual(errors, []);
  assert.deepEqual(cspViolations.slice(before), []);
});

// The ticket the support test leaves resolved, which closes once the clock has moved past its
// time to reopen.
let resolvedTicket;

test('a support ticket with a file, in English: opened, answered, answered back, resolved, reopened', async () => {
  const buyer = await newPage(PHONE, 'en');
  await login(buyer, 'emma');
  await buyer.goto(`${base}/orders`);
  await submitAndWait(buyer, 'a.contact');
  await buyer.selectOption('#t-category', 'refund_progress');
  await buyer.fill('#t-subject', 'When will my refund arrive?');
  await buyer.fill('#t-body', 'It was approved three days ago.');
  await buyer.setInputFiles('#t-files', { name: 'bank-statement.png', mimeType: 'image/png', buffer: PNG });
  await submitAndWait(buyer, 'form[action="/tickets/new"] button[type=submit]');
  const ticketNo = (await buyer.textContent('#ticket-no')).trim();
  // The file is on the first message, and downloads as it was sent.
  assert.equal((await buyer.textContent('.thread .attachments a')).trim(), 'bank-statement.png');
  const sent = await buyer.request.get(base + await buyer.getAttribute('.thread .attachments a', 'href'));
  assert.equal(sent.status(), 200);
  assert.match(sent.headers()['content-disposition'], /^attachment;/);
  assert.deepEqual(Buffer.from(await sent.body()), PNG);
  assert.match(ticketNo, /^TK-\d{8}-[0-9A-Z]{6}$/);
  assert.equal((await buyer.textContent('#ticket-state')).trim(), 'Waiting for a first answer');
  assert.ok(!CJK.test(await buyer.textContent('main')), 'English throughout');
  await noHorizontalScroll(buyer);

  // The agent finds it on the desk's queue (cards, also on a phone) and answers; the review
  // queue is cards on a phone too.
  const agent = await newPage(PHONE);
  await login(agent, 'chen');
  await agent.goto(`${base}/desk`);
  await noHorizontalScroll(agent);
  await agent.screenshot({ path: path.join(shots, 'queue-phone.png'), fullPage: true });
  await agent.goto(`${base}/desk/tickets`);
  await noHorizontalScroll(agent);
  await submitAndWait(agent, `a[href="/tickets/${ticketNo}"]`);
  assert.equal(await agent.locator('.thread .attachments a').count(), 1, 'the agent sees the file');
  await agent.fill('#reply-text', 'Bank card refunds take 1–3 business days; we are checking with the bank.');
  await submitAndWait(agent, 'form[action$="/write"] button[type=submit]');
  // chen's account is in Chinese: the state is read from its class.
  assert.ok((await agent.getAttribute('#ticket-state', 'class')).includes('ticket-waiting_on_buyer'));

  await buyer.reload();
  assert.equal((await buyer.textContent('#ticket-state')).trim(), 'Waiting for you');
  assert.ok((await buyer.textContent('.thread')).includes('checking with the bank'));
  await buyer.fill('#reply-text', 'Thank you, I will wait.');
  await submitAndWait(buyer, 'form[action$="/write"] button[type=submit]');
  assert.equal((await buyer.textContent('#ticket-state')).trim(), 'Waiting for support');

  await agent.reload();
  await submitAndWait(agent, 'form[action$="/resolve"] button');
  assert.ok((await agent.getAttribute('#ticket-state', 'class')).includes('ticket-resolved'));
  await buyer.reload();
  await submitAndWait(buyer, 'form[action$="/reopen"] button');
  assert.equal((await buyer.textContent('#ticket-state')).trim(), 'Waiting for support');
  assert.ok(!CJK.test(await buyer.textContent('main')), 'English throughout');
  await buyer.screenshot({ path: path.join(shots, 'ticket-phone.png'), fullPage: true });
  // Resolved again: it closes when its time to reopen is over (the last test moves the clock).
  await agent.reload();
  await submitAndWait(agent, 'form[action$="/resolve"] button');
  await buyer.reload();
  assert.equal((await buyer.textContent('#ticket-state')).trim(), 'Resolved');
  resolvedTicket = ticketNo;
});

test('the support pages have no serious or critical accessibility problems (axe-core)', async () => {
  const buyer = await newPage(PHONE, 'en');
  await login(buyer, 'emma');
  assert.ok(resolvedTicket, 'the support ticket test left one');
  const found = [];
  for (const p of ['/tickets', '/tickets/new', `/tickets/${resolvedTicket}`, '/orders', '/notifications']) {
    await buyer.goto(base + p);
    found.push(...(await axeViolations(buyer)).map((v) => `${p}: ${v}`));
  }
  await buyer.goto(`${base}/applications`);
  await submitAndWait(buyer, 'a[href^="/applications/RF-"] >> nth=0');
  found.push(...(await axeViolations(buyer)).map((v) => `${buyer.url()}: ${v}`));
  const desk = await newPage(DESKTOP, 'en');
  await login(desk, 'chen');
  for (const p of ['/desk/tickets', `/tickets/${resolvedTicket}`, '/desk']) {
    await desk.goto(base + p);
    found.push(...(await axeViolations(desk)).map((v) => `${p} (staff): ${v}`));
  }
  assert.deepEqual(found, []);
});

test('an information request answered with a file, in English', async () => {
  const buyer = await newPage(PHONE, 'en');
  await login(buyer, 'emma');
  await buyer.goto(`${base}/orders`);
  await submitAndWait(buyer, 'li[data-awaiting="info_requested"] a');
  assert.equal(await stateOf(buyer), 'state-info_requested');
  const held = await buyer.locator('.files li').count();
  await buyer.fill('#supplement-text', 'The screenshot from the deadline is attached.');
  await buyer.setInputFiles('#supplement-files', { name: 'likes-at-deadline.png', mimeType: 'image/png', buffer: PNG });
  await buyer.selectOption('#supplement-kind', 'delivery_progress');
  await submitAndWait(buyer, '#supplement button');
  assert.match(buyer.url(), /\?done=supplement$/);
  assert.equal(await stateOf(buyer), 'state-in_review', 'back with the reviewer who asked');
  assert.equal(await buyer.locator('.files li').count(), held + 1, 'the file is the application\'s evidence');
  assert.ok((await buyer.textContent('.files')).includes('likes-at-deadline.png'));
  const cjk = (await visibleWords(buyer)).match(new RegExp(CJK.source + '.{0,20}', 'g'));
  assert.equal(cjk, null, `still shows ${cjk}`);
  await noHorizontalScroll(buyer);
});

test('an application nobody reviews in time is marked overdue, for staff and for the buyer', async () => {
  const desk = await newPage(DESKTOP);
  await login(desk, 'wang');
  // Each waiting row: whether it is marked overdue (information requested pauses the clock).
  const waiting = (page) => page.$$eval('tbody tr', (rs) => rs
    .filter((r) => !r.querySelector('.state-info_requested'))
    .map((r) => r.classList.contains('is-overdue')));
  assert.ok((await waiting(desk)).includes(false), 'something on the queue is not overdue yet');
  // Three weeks on, past every review's due time (business days, holidays included).
  await advanceClock(21 * 24 * 3600);
  await login(desk, 'wang');
  await desk.goto(`${base}/desk`);
  const rows = await waiting(desk);
  assert.ok(rows.length > 0 && rows.every(Boolean), `every waiting application is overdue: ${rows}`);
  assert.ok(await desk.isVisible('tbody tr .badge.overdue'));
  await desk.screenshot({ path: path.join(shots, 'queue-overdue-desktop.png'), fullPage: true });

  const buyer = await newPage(PHONE);
  await login(buyer, 'zhou');
  await buyer.goto(`${base}/applications`);
  assert.ok(await buyer.isVisible('.badge.overdue'), "the buyer sees that the platform is late");
  // Review deadlines fall at the end of a business day: shown as 24:00 of that day, with the zone.
  assert.match(await buyer.textContent('main'), /\d{4}年\d{1,2}月\d{1,2}日 24:00（北京时间）/);
});

test('a resolved ticket closes once its time to reopen is over', async () => {
  assert.ok(resolvedTicket, 'the support ticket test left one resolved');
  // The clock moved three weeks in the test before; moving it wakes the job that closes.
  const buyer = await newPage(PHONE, 'en');
  await login(buyer, 'emma');
  const deadline = Date.now() + 20000;
  for (;;) {
    await buyer.goto(`${base}/tickets/${resolvedTicket}`);
    const state = (await buyer.textContent('#ticket-state')).trim();
    if (state === 'Closed') break;
    assert.ok(Date.now() < deadline, `${resolvedTicket} is still ${state}`);
    await buyer.waitForTimeout(200);
  }
  assert.equal(await buyer.locator('form[action$="/reopen"]').count(), 0, 'a closed ticket is not reopened');
});

test('past the statutory period the buyer is offered the 12315 complaint page, in both languages', async () => {
  for (const [locale, title, respondent] of [['zh-CN', '向 12315 平台投诉', '被投诉人'], ['en', 'Complain on the 12315 platform', 'Respondent']]) {
    const context = await browser.newContext({ viewport: PHONE, locale });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await context.newPage();
    await login(page, 'lin');
    await page.goto(`${base}/lang/${locale}?back=/`);
    // The demo's request submitted twenty days ago and never decided.
    const session = await (await fetch(`${base}/api/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'lin', password: PASSWORD }),
    })).json();
    const apps = await (await fetch(`${base}/api/v1/applications?limit=100`, {
      headers: { authorization: `Bearer ${session.token}` },
    })).json();
    const late = apps.items.find((a) => a.statutory && a.statutory.passed);
    assert.ok(late, `one of lin's requests is past the statutory period: ${JSON.stringify(apps.items.map((a) => a.statutory))}`);
    await page.goto(`${base}/applications/${late.no}`);
    assert.ok(await page.isVisible('#statutory'), 'the buyer is told the period has passed');
    await Promise.all([page.waitForURL(`**/applications/${late.no}/complaint`), page.click('#complaint-link')]);
    assert.equal((await page.textContent('h1')).trim(), title);
    assert.match(await page.textContent('#c-respondent'), new RegExp(respondent));
    // The respondent from the settings (the demo's made-up one), the purchase, the claim, the facts.
    assert.match(await page.textContent('#copy-respondent'), /91310115MA1K000016/);
    assert.match(await page.textContent('#copy-purchase'), new RegExp(late.order_no));
    assert.match(await page.textContent('#copy-claim'), new RegExp(late.requested.display.replace(/[.$]/g, '\\$&')));
    assert.ok((await page.$$('ol.facts-timeline li')).length >= 2, 'a dated timeline ending with the deadline');
    assert.equal(await page.getAttribute('#platform-link', 'href'), 'https://www.12315.cn');
    assert.ok(await page.isVisible('#case-file-link'), 'the case file to attach');
    // With JavaScript the copy buttons appear and copy their part.
    const copy = page.locator('button[data-copy="copy-claim"]');
    await copy.click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), (await page.textContent('#copy-claim')).trim());
    assert.deepEqual(await axeViolations(page), []);
    await page.screenshot({ path: path.join(shots, `complaint-${locale}-phone.png`), fullPage: true });
    await context.close();
  }
});
