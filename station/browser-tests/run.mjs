// The reception desk page as a receptionist uses it, in headless Chromium (Debian's chromium,
// driven by playwright-core): `cancuoc station` started on a free loopback port with its clock
// fixed at the fixtures' time, QR texts typed the way a keyboard-wedge scanner types them (fast
// keystrokes, then Enter or Tab) — a valid clinic QR, a tampered one, an expired one, a
// CapsLock-inverted one, a too-old one and the chip card's printed QR — and what the page shows
// checked. Challenge mode end to end: the station holds a relying-party identity made by
// `cancuoc party`, the page shows its signed request (CR2:), a real wallet on disk (`cancuoc
// wallet`, whose registry trusts the station) answers it encrypted to the station (CE1:), and
// the answer is typed by the scanner; a second station without the identity disables the mode.
// Screenshots of each outcome; the last-keystroke-to-result latency measured in the page.
//
// usage: node run.mjs --cancuoc BIN --fixtures BIN [--screenshots DIR] [--latency-scans N]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const cancuoc = args.cancuoc;
const fixturesBin = args.fixtures;
const shots = args.screenshots;
const latencyScans = Number(args['latency-scans'] || 30);
if (!cancuoc || !fixturesBin || !shots) {
  console.error('usage: node run.mjs --cancuoc BIN --fixtures BIN --screenshots DIR [--latency-scans N]');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log(`ok   ${name}`); } else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

const work = mkdtempSync(join(tmpdir(), 'cancuoc-station-browser-'));
execFileSync(fixturesBin, ['--out', work], { stdio: ['ignore', 'ignore', 'inherit'] });
const fx = JSON.parse(readFileSync(join(work, 'fixtures.json'), 'utf8'));

// `cancuoc` at the fixtures' time; the wallet commands take the passcode from the environment.
const env = { ...process.env, CANCUOC_PASSCODE: '246810' };
const run = (...a) => execFileSync(cancuoc, a, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

// The clinic registered as a relying party; an issuer, and the citizen's wallet on disk holding
// the health insurance card it issued, its registry of relying parties the clinic's.
const party = join(work, 'party');
run('party', '--id', 'phongkham-anbinh.example.vn', '--organization', 'Phòng khám Đa khoa An Bình', '--out', party, '--now', fx.now);
const pki = join(work, 'pki');
run('pki', '--out', pki, '--now', fx.now);
copyFileSync(join(pki, 'iaca.pem'), join(fx.trust, 'wallet-iaca.pem'));
copyFileSync(join(pki, 'ds.pem'), join(fx.trust, 'wallet-ds.pem'));
const walletDir = join(work, 'wallet');
const wallet = (...a) => run('wallet', '--dir', walletDir, '--now', fx.now, ...a);
wallet('init', '--trust', pki, '--parties', join(party, 'registry.pem'));
wallet('activate', '--id', '001090012345', '--name', 'NGUYỄN VĂN AN', '--birth-date', '1990-05-14',
  '--level', '2', '--device-key-out', join(work, 'device.pub.pem'));
writeFileSync(join(work, 'card.json'), run('sample', 'health_insurance'));
run('issue', '--pki', pki, '--document', join(work, 'card.json'), '--holder-key', join(work, 'device.pub.pem'),
  '--out', join(work, 'card.cbor'), '--qr-out', join(work, 'card.sdcwt'), '--now', fx.now);
wallet('add', '--mdoc', join(work, 'card.cbor'), '--qr', join(work, 'card.sdcwt'));

// A station on a port the OS picks, its clock at the fixtures' time.
function startStation(extra, data) {
  const proc = spawn(cancuoc, [
    'station', '--trust', fx.trust, '--data', join(work, data), '--listen', '127.0.0.1:0',
    '--now', fx.now, '--facility', '01024', ...extra,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the station did not start: ' + out)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    proc.on('exit', (code) => reject(new Error(`the station exited (${code}): ${out}`)));
  });
  return { proc, started };
}
const main = startStation(['--party', party, '--verifier-id', 'phongkham-anbinh.example.vn'], 'data');
const station = main.proc;
const url = await main.started;

const chromiumArgs = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-gpu', '--disable-quic', '--no-first-run'];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
let exitCode = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'vi-VN' });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector('#scan');

  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  check('the scan input has focus on load', (await focused()) === 'scan');

  // A scanner: every character a keystroke, a few milliseconds apart at most, then Enter.
  async function scan(text, end = 'Enter') {
    const before = Number(await page.evaluate(() => document.body.dataset.results || '0'));
    await page.keyboard.type(text, { delay: 0 });
    await page.keyboard.press(end);
    await page.waitForFunction((n) => Number(document.body.dataset.results || '0') > n && document.body.dataset.latency, before);
    return page.evaluate(() => ({
      cls: document.getElementById('result').className,
      headline: document.getElementById('headline').textContent,
      reason: document.getElementById('reason').textContent,
      warnings: [...document.querySelectorAll('#warnings li')].map((li) => li.dataset.code),
      fields: Object.fromEntries([...document.querySelectorAll('#fields tr')].map((tr) => [tr.dataset.id, tr.querySelector('td').textContent])),
      labels: [...document.querySelectorAll('#fields th')].map((th) => th.textContent),
      details: document.getElementById('details').textContent,
      latency: Number(document.body.dataset.latency),
      input: document.getElementById('scan').value,
    }));
  }

  let r = await scan(fx.valid);
  check('valid clinic QR: green "Hợp lệ"', r.cls === 'valid' && r.headline.includes('Hợp lệ'), JSON.stringify(r));
  check('valid clinic QR: card code, name, benefit level, facility',
    r.fields.card_code === 'DN4010123456789' && r.fields.holder_name === 'NGUYỄN VĂN AN'
    && r.fields.birth_date === '14/05/1990' && r.fields.sex === 'Nam' && r.fields.benefit_level === '4 (80%)'
    && r.fields.valid_until === '31/12/2026' && (r.fields.registered_facility || '').startsWith('01024'), JSON.stringify(r.fields));
  check('valid clinic QR: no warning at its own facility', r.warnings.length === 0, r.warnings.join());
  check('the input is cleared for the next scan', r.input === '');
  await page.screenshot({ path: join(shots, 'station-valid.png') });

  // A second scan arriving while a result is on screen, ended by Tab instead of Enter.
  r = await scan(fx.tampered, 'Tab');
  check('tampered QR (ended by Tab): red "Không hợp lệ", data altered',
    r.cls === 'invalid' && r.headline.includes('Không hợp lệ') && r.reason.includes('bị sửa đổi'), JSON.stringify(r));
  check('focus stays in the scan input after Tab', (await focused()) === 'scan');
  await page.screenshot({ path: join(shots, 'station-tampered.png') });

  r = await scan(fx.expired);
  check('expired card: "Giấy tờ đã hết hạn"', r.cls === 'invalid' && r.reason.includes('hết hạn'), JSON.stringify(r));
  await page.screenshot({ path: join(shots, 'station-expired.png') });

  r = await scan(fx.caps_lock);
  check('CapsLock-inverted QR: valid, the fix named', r.cls === 'valid' && r.details.includes('CapsLock'), JSON.stringify(r));
  await page.screenshot({ path: join(shots, 'station-capslock.png') });

  r = await scan(fx.too_old);
  check('a 10-minute-old QR: ask for a fresh one', r.cls === 'invalid' && r.reason.includes('quá cũ'), JSON.stringify(r));

  r = await scan(fx.card);
  check('chip card QR: amber "Dữ liệu thẻ chưa ký", never "Hợp lệ"',
    r.cls === 'unsigned' && r.headline.includes('Dữ liệu thẻ chưa ký') && !r.headline.includes('Hợp lệ')
    && r.reason.includes('Đối chiếu với thẻ'), JSON.stringify(r));
  check('chip card QR: its fields', r.fields.personal_number === '001090012345' && r.fields.full_name === 'Nguyễn Văn An', JSON.stringify(r.fields));
  await page.screenshot({ path: join(shots, 'station-card.png') });

  // A click elsewhere does not take the scanner's input away.
  await page.mouse.click(500, 700);
  check('focus returns to the scan input after a click', (await focused()) === 'scan');

  // English.
  await page.click('#lang');
  r = await page.evaluate(() => ({ h: document.getElementById('headline').textContent, l: document.documentElement.lang }));
  check('English switch', r.l === 'en' && r.h.includes('Unsigned card data'), JSON.stringify(r));
  r = await scan(fx.valid);
  check('English: "Valid" and English labels', r.headline.includes('Valid') && r.labels.includes('Card code') && r.fields.birth_date === '1990-05-14', JSON.stringify(r));
  await page.click('#lang');
  check('back to Vietnamese', (await page.evaluate(() => document.documentElement.lang)) === 'vi');

  // Every scan is in the log, from the scanner channel.
  const log = await page.evaluate(async () => (await (await fetch('/api/log?limit=1000')).json()));
  const scans = 7;
  check(`the log holds one entry per scan (${scans})`, log.entries.length === scans && log.entries.every((e) => e.channel === 'scanner'), `${log.entries.length}`);
  check('the log chain is intact', log.chain.problem === null);
  check('the page asked nothing of any other host', requests.every((u) => u.startsWith(url)), requests.filter((u) => !u.startsWith(url)).join());

  // Challenge mode: the page shows the station's signed request; the citizen's wallet answers it
  // with what the citizen approves, encrypted to the station; the scanner types the answer.
  check('challenge mode is on with the station\'s party identity',
    !(await page.isDisabled('[data-mode="challenge"]')) && (await page.isHidden('#challenge-off')));
  const made = page.waitForResponse((res) => res.url().endsWith('/api/requests') && res.request().method() === 'POST');
  await page.click('[data-mode="challenge"]');
  const req = await (await made).json();
  await page.waitForFunction(() => !!document.getElementById('request-qr').getAttribute('src'));
  check('the request QR is the signed request, encrypted answers asked for',
    req.text.startsWith('CR2:') && req.encrypted === true && req.purpose === 'Tiếp đón khám bệnh'
    && req.party.id === 'phongkham-anbinh.example.vn', JSON.stringify({ ...req, svg: undefined }));
  await page.screenshot({ path: join(shots, 'station-request.png') });
  const meta = await page.textContent('#request-meta');
  check('the page shows the request\'s purpose', meta.includes('Tiếp đón khám bệnh'), meta);
  check('focus stays in the scan input in challenge mode', (await focused()) === 'scan');
  writeFileSync(join(work, 'request.txt'), req.text);
  const prompt = wallet('respond', '--request', join(work, 'request.txt'), '--approve', 'holder_name,sex',
    '--out', join(work, 'answer.txt'));
  check('the wallet names the clinic and its purpose', prompt.includes('Phòng khám Đa khoa An Bình') && prompt.includes('Tiếp đón khám bệnh'), prompt);
  const answerText = readFileSync(join(work, 'answer.txt'), 'utf8').trim();
  check('the wallet\'s answer is encrypted to the station', answerText.startsWith('CE1:'), answerText.slice(0, 12));
  r = await scan(answerText);
  check('the answer typed by the scanner: green "Hợp lệ", the shared fields only',
    r.cls === 'valid' && r.fields.holder_name === 'NGUYỄN VĂN AN' && r.fields.sex === 'Nam' && !('birth_date' in r.fields),
    JSON.stringify(r));
  await page.screenshot({ path: join(shots, 'station-challenge.png') });
  check('the answered request is used up (its QR removed)', !(await page.getAttribute('#request-qr', 'src')));
  r = await scan(answerText);
  check('the same answer again: not accepted twice', r.cls === 'invalid' && r.reason.includes('đã được dùng'), JSON.stringify(r));
  const chlog = await page.evaluate(async () => (await (await fetch('/api/log?limit=2')).json()));
  const answered = chlog.entries[1];
  check('the answer is logged as challenge mode with the requested elements',
    answered.mode === 'challenge' && answered.outcome === 'valid' && answered.request_id === req.id
    && answered.requested.join() === 'holder_name,birth_date,sex', JSON.stringify(answered));
  check('challenge mode asked nothing of any other host either', requests.every((u) => u.startsWith(url)), requests.filter((u) => !u.startsWith(url)).join());
  await page.click('[data-mode="scanner"]');

  // A station without a relying-party identity: the challenge button is disabled, and says why.
  const bare = startStation([], 'data-bare');
  try {
    const bareUrl = await bare.started;
    const bpage = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'vi-VN' });
    await bpage.goto(bareUrl);
    await bpage.waitForFunction(() => document.querySelector('[data-mode="challenge"]').disabled);
    const why = await bpage.textContent('#challenge-off');
    check('without --party: the challenge button is disabled, with the reason in Vietnamese',
      why.includes('--party') && why.includes('Chưa dùng được'), why);
    await bpage.click('#lang');
    const whyEn = await bpage.textContent('#challenge-off');
    check('…and in English', whyEn.includes('unavailable') && whyEn.includes('--party'), whyEn);
    const refused = await bpage.evaluate(async () => {
      const res = await fetch('/api/requests', { method: 'POST' });
      return { status: res.status, body: await res.json() };
    });
    check('without --party: POST /api/requests is refused with a JSON reason',
      refused.status === 409 && refused.body.error.code === 'challenge_unavailable', JSON.stringify(refused));
    const br = await bpage.evaluate(async (text) => {
      const res = await fetch('/api/verify', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text, channel: 'scanner' }) });
      return res.json();
    }, fx.valid);
    check('without --party: scanning works as before', br.result === 'valid', JSON.stringify(br.code));
    await bpage.close();
  } catch (e) {
    check('the station without --party', false, String(e));
  } finally {
    bare.proc.kill('SIGINT');
  }

  // The webcam: Chromium's fake camera plays the valid QR as a frame; the page sends frames to
  // its station until one reads.
  const cam = await chromium.launch({
    executablePath, headless: true,
    args: [...chromiumArgs, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${join(work, 'valid.y4m')}`],
  });
  try {
    const cpage = await cam.newPage({ viewport: { width: 1000, height: 700 } });
    await cpage.goto(url);
    await cpage.click('[data-mode="webcam"]');
    await cpage.waitForFunction(() => document.getElementById('result').className === 'valid', null, { timeout: 20000 });
    const fields = await cpage.evaluate(() => document.querySelector('#fields tr[data-id="card_code"] td').textContent);
    check('webcam: the QR in the camera frame is verified', fields === 'DN4010123456789', fields);
    const clog = await cpage.evaluate(async () => (await (await fetch('/api/log?limit=1')).json()));
    check('webcam: logged from the webcam channel', clog.entries[0].channel === 'webcam', JSON.stringify(clog.entries[0]));
  } catch (e) {
    check('webcam: the QR in the camera frame is verified', false, String(e));
  } finally {
    await cam.close();
  }

  // Latency: last keystroke (Enter) to the result painted, measured in the page.
  const latencies = [];
  for (let i = 0; i < latencyScans; i++) {
    r = await scan(i % 2 ? fx.tampered : fx.valid);
    latencies.push(r.latency);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  const p90 = latencies[Math.floor(latencies.length * 0.9)];
  console.log(`latency (last keystroke → result shown) over ${latencies.length} scans: median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms (target: median ≤ 100 ms)`);
  check('every timed scan showed its verdict', latencies.length === latencyScans && latencies.every((x) => x > 0));
} catch (e) {
  console.error(e);
  failed++;
} finally {
  await browser.close();
  station.kill('SIGINT');
  rmSync(work, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
exitCode = failed ? 1 : 0;
process.exit(exitCode);
