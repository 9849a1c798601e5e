// The reception desk page's behaviour: keeps the scan input focused, sends each scan (Enter,
// Tab, or a pause after a complete-looking text) to its own station, shows the newest verdict,
// drives the webcam and challenge modes, and switches Vietnamese/English. It talks to no other
// host (the station's Content-Security-Policy enforces that).
'use strict';

const T = {
  vi: {
    title: 'Quầy tiếp đón', mode_scanner: 'Máy quét', mode_webcam: 'Camera',
    mode_challenge: 'Yêu cầu từ điện thoại', counter: 'Quầy',
    scan_hint: 'Quét mã QR trên điện thoại hoặc trên thẻ căn cước',
    webcam_hint: 'Đưa mã QR vào khung hình', webcam_denied: 'Không mở được camera',
    challenge_hint: 'Công dân quét mã này bằng ứng dụng, chọn thông tin đồng ý chia sẻ, rồi đưa mã trả lời cho máy quét.',
    new_request: 'Tạo yêu cầu mới', waiting: 'Sẵn sàng quét', checking: 'Đang kiểm tra…',
    token_prompt: 'Trạm này cần mã vận hành. Nhập mã do quản trị viên cung cấp:', save: 'Lưu',
    issuer: 'Cơ quan ký', failed_check: 'Bước kiểm tra không đạt', fixes: 'Đã sửa lỗi máy quét',
    fix_trimmed: 'ký tự thừa', fix_caps_lock: 'CapsLock', fix_trailing_spaces: 'dấu cách thừa',
    checked: 'Đã kiểm tra', log: 'nhật ký #', request_for: 'Yêu cầu', expires: 'hết hạn lúc',
    answer_request: 'Đang chờ mã trả lời cho yêu cầu', trust_age: 'Danh sách tin cậy cập nhật',
    days_ago: 'ngày trước', log_entries: 'Nhật ký', entries: 'mục', chain_ok: 'chuỗi toàn vẹn',
    error: 'Lỗi', station_error: 'Trạm không trả lời', purpose: 'Mục đích', encrypted: 'trả lời được mã hóa cho trạm',
    answered: 'Yêu cầu đã được trả lời — bấm «Tạo yêu cầu mới» cho người tiếp theo.',
    challenge_off: 'Chưa dùng được chế độ yêu cầu từ điện thoại: trạm chưa có danh tính bên khai thác (cancuoc station --party)',
  },
  en: {
    title: 'Reception desk', mode_scanner: 'Scanner', mode_webcam: 'Camera',
    mode_challenge: 'Request from the phone', counter: 'Counter',
    scan_hint: 'Scan the QR code on the phone or on the ID card',
    webcam_hint: 'Hold the QR code inside the frame', webcam_denied: 'The camera could not be opened',
    challenge_hint: 'The citizen scans this code with the app, chooses what to share, then shows the answer code to the scanner.',
    new_request: 'New request', waiting: 'Ready to scan', checking: 'Checking…',
    token_prompt: 'This station needs the operator token. Enter the token your administrator gave you:', save: 'Save',
    issuer: 'Signed by', failed_check: 'Failed check', fixes: 'Scanner quirks fixed',
    fix_trimmed: 'stray characters', fix_caps_lock: 'CapsLock', fix_trailing_spaces: 'trailing spaces',
    checked: 'Checked', log: 'log #', request_for: 'Request', expires: 'expires at',
    answer_request: 'Waiting for the answer to request', trust_age: 'Trust list updated',
    days_ago: 'days ago', log_entries: 'Log', entries: 'entries', chain_ok: 'chain intact',
    error: 'Error', station_error: 'The station did not answer', purpose: 'Purpose', encrypted: 'the answer is encrypted to the station',
    answered: 'The request has been answered — press “New request” for the next person.',
    challenge_off: 'Request from the phone is unavailable: this station has no relying-party identity (cancuoc station --party)',
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  lang: localStorage.getItem('cancuoc-lang') === 'en' ? 'en' : 'vi',
  mode: 'scanner',
  seq: 0,
  shown: 0,
  last: null,
  request: null,
  // Challenge mode needs the station's relying-party identity; /api/health says whether it has
  // one (null: not known yet), and why not.
  challenge: null,
  stream: null,
  webcamTimer: null,
  webcamPausedUntil: 0,
  idleTimer: null,
};

function t(key) { return T[state.lang][key] || key; }
function pick(v) {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  return v[state.lang] || v.vi || '';
}

// --- operator token (only needed when the station listens beyond loopback) ---
(function takeTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem('cancuoc-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
})();

function headers(extra) {
  const h = Object.assign({}, extra);
  const tok = localStorage.getItem('cancuoc-token');
  if (tok) h.Authorization = 'Bearer ' + tok;
  return h;
}

async function api(path, opts) {
  const res = await fetch(path, Object.assign({}, opts, { headers: headers(opts && opts.headers) }));
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (res.status === 401) askToken();
  return { status: res.status, body };
}

function askToken() {
  const d = $('token-dialog');
  if (!d.open) { d.showModal(); $('token').focus(); }
}

// --- language ---
function applyLang() {
  document.documentElement.lang = state.lang;
  $('lang').textContent = state.lang === 'vi' ? 'EN' : 'VI';
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  if (state.last) render(state.last);
  if (state.request) renderRequest(state.request);
  else if ($('request-meta').dataset.answered) $('request-meta').textContent = t('answered');
  if (state.challenge) setChallenge(state.challenge);
  refreshHealth();
}

// --- focus: the scanner types into #scan whatever else happens on the page ---
function refocus() {
  if (state.mode === 'webcam') return;
  const a = document.activeElement;
  if (a && (a.id === 'counter' || a.id === 'token')) return;
  if ($('token-dialog').open) return;
  $('scan').focus();
}

// --- scanning ---
function looksComplete(v) {
  const s = v.trim();
  return (/^c[ce]1:/i.test(s) && s.length >= 100) || (s.split('|').length === 7 && /\d{8}\s*$/.test(s));
}

function submitScan(text, startedAt) {
  if (!text.trim()) return;
  const body = { text, channel: 'scanner' };
  const counter = $('counter').value.trim();
  if (counter) body.counter = counter;
  if (state.mode === 'challenge' && state.request) body.request_id = state.request.id;
  verify(JSON.stringify(body), 'application/json', '', startedAt);
}

async function verify(body, type, query, startedAt) {
  const mine = ++state.seq;
  $('result').classList.add('pending');
  let r;
  try {
    r = await api('/api/verify' + query, { method: 'POST', body, headers: { 'Content-Type': type } });
  } catch (e) {
    r = { status: 0, body: { error: { code: 'network', message: t('station_error') } } };
  }
  if (mine < state.shown) return null; // a newer scan already answered
  state.shown = mine;
  $('result').classList.remove('pending');
  const result = r.status === 200 && r.body ? r.body : {
    result: 'error', headline: { vi: t('error'), en: t('error') },
    reason: (r.body && r.body.error && (r.body.error.reason || r.body.error.message)) || t('station_error'),
    code: r.body && r.body.error && r.body.error.code,
  };
  if (result.result === 'no_code') return result;
  render(result);
  if (startedAt != null) {
    // Last keystroke → result painted.
    requestAnimationFrame(() => {
      const ms = performance.now() - startedAt;
      document.body.dataset.latency = ms.toFixed(1);
      document.body.dataset.results = String(state.shown);
    });
  } else {
    document.body.dataset.results = String(state.shown);
  }
  if (result.result === 'valid' && state.mode === 'challenge' && state.request) {
    state.request = null; // used up: the station accepts an answer once
    $('request-qr').removeAttribute('src');
    $('request-meta').textContent = t('answered');
    $('request-meta').dataset.answered = '1';
  }
  refreshHealth();
  return result;
}

function render(r) {
  state.last = r;
  const box = $('result');
  box.className = r.result === 'valid' ? 'valid'
    : r.result === 'unsigned_card' ? 'unsigned' : 'invalid';
  const mark = r.result === 'valid' ? '✓ ' : r.result === 'unsigned_card' ? '⚠ ' : '✗ ';
  $('headline').textContent = mark + pick(r.headline);
  $('reason').textContent = pick(r.reason);
  const w = $('warnings');
  w.replaceChildren(...(r.warnings || []).map((x) => {
    const li = document.createElement('li');
    li.textContent = '⚠ ' + pick(x);
    li.dataset.code = x.code;
    return li;
  }));
  $('doc-title').textContent = pick(r.title);
  const table = $('fields');
  table.replaceChildren(...(r.fields || []).map((f) => {
    const tr = document.createElement('tr');
    tr.dataset.id = f.id;
    const th = document.createElement('th');
    th.textContent = pick(f.label);
    const td = document.createElement('td');
    td.textContent = state.lang === 'en' && f.value_en ? f.value_en : f.value;
    tr.append(th, td);
    return tr;
  }));
  $('issuer').textContent = r.issuer ? t('issuer') + ': ' + r.issuer : '';
  const details = [];
  if (r.failed_check) details.push(t('failed_check') + ': ' + pick(r.failed_check) + ' (' + r.code + ')');
  else if (r.result === 'error' && r.code) details.push(r.code);
  if (r.fixes && r.fixes.length) details.push(t('fixes') + ': ' + r.fixes.map((f) => t('fix_' + f)).join(', '));
  if (r.checks) details.push(t('checked') + ': ' + r.checks.map(pick).join(', '));
  if (r.log_seq) details.push(t('log') + r.log_seq);
  $('details').textContent = details.join(' · ');
}

// --- challenge mode ---
async function newRequest() {
  const r = await api('/api/requests', { method: 'POST' });
  if (r.status !== 201 || !r.body) {
    const e = r.body && r.body.error;
    render({ result: 'error', headline: { vi: t('error'), en: t('error') }, reason: e ? (e.reason || e.message) : t('station_error'), code: e && e.code });
    if (e && (e.code === 'challenge_unavailable' || e.code === 'party_certificate_invalid')) {
      setChallenge({ available: false, reason: e.reason });
    }
    return;
  }
  state.request = r.body;
  renderRequest(r.body);
  refocus();
}

function renderRequest(req) {
  $('request-qr').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(req.svg);
  const at = new Date(req.expires).toLocaleTimeString(state.lang === 'vi' ? 'vi-VN' : 'en-GB');
  let meta = t('request_for') + ' ' + req.id + ': ' + req.elements.join(', ') + ' — ' + t('expires') + ' ' + at;
  if (req.purpose) meta += ' · ' + t('purpose') + ': ' + req.purpose;
  if (req.encrypted) meta += ' · ' + t('encrypted');
  $('request-meta').textContent = meta;
  delete $('request-meta').dataset.answered;
}

// Without the station's relying-party identity the challenge button is disabled, and says why.
function setChallenge(c) {
  state.challenge = c;
  const b = document.querySelector('[data-mode="challenge"]');
  const off = c && !c.available;
  b.disabled = off;
  const why = off ? (pick(c.reason) || t('challenge_off')) : '';
  b.title = why;
  $('challenge-off').textContent = why;
  $('challenge-off').hidden = !off;
  if (off && state.mode === 'challenge') setMode('scanner');
}

// --- webcam mode ---
async function startWebcam() {
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 } } });
  } catch (e) {
    $('webcam-status').textContent = t('webcam_denied');
    return;
  }
  const v = $('video');
  v.srcObject = state.stream;
  await v.play();
  const canvas = document.createElement('canvas');
  state.webcamTimer = setInterval(() => {
    if (!v.videoWidth || performance.now() < state.webcamPausedUntil || state.webcamBusy) return;
    const scale = Math.min(1, 960 / v.videoWidth);
    canvas.width = Math.round(v.videoWidth * scale);
    canvas.height = Math.round(v.videoHeight * scale);
    canvas.getContext('2d').drawImage(v, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(async (blob) => {
      if (!blob) return;
      state.webcamBusy = true;
      const q = new URLSearchParams({ channel: 'webcam' });
      const counter = $('counter').value.trim();
      if (counter) q.set('counter', counter);
      if (state.request) q.set('request_id', state.request.id);
      const r = await verify(blob, 'image/jpeg', '?' + q.toString(), null);
      state.webcamBusy = false;
      if (r && r.result !== 'no_code') state.webcamPausedUntil = performance.now() + 4000;
    }, 'image/jpeg', 0.9);
  }, 400);
}

function stopWebcam() {
  clearInterval(state.webcamTimer);
  state.webcamTimer = null;
  if (state.stream) state.stream.getTracks().forEach((tr) => tr.stop());
  state.stream = null;
}

function setMode(mode) {
  if (mode === 'challenge' && state.challenge && !state.challenge.available) mode = 'scanner';
  state.mode = mode;
  document.querySelectorAll('[data-mode]').forEach((b) => b.classList.toggle('on', b.dataset.mode === mode));
  $('webcam').hidden = mode !== 'webcam';
  $('challenge').hidden = mode !== 'challenge';
  $('scan-form').hidden = mode === 'webcam';
  if (mode === 'webcam') startWebcam(); else stopWebcam();
  if (mode === 'challenge' && !state.request) newRequest();
  refocus();
}

// --- station health in the footer ---
async function refreshHealth() {
  let r;
  try { r = await api('/api/health'); } catch (_) { return; }
  if (r.status !== 200 || !r.body) return;
  const h = r.body;
  const days = Math.floor(h.trust_list.age_seconds / 86400);
  const parts = [
    h.station.verifier_id,
    t('trust_age') + ' ' + days + ' ' + t('days_ago'),
    t('log_entries') + ': ' + h.log.entries + ' ' + t('entries') + (h.log.problem ? ' ⚠' : ' · ' + t('chain_ok')),
  ];
  if (h.challenge) {
    const off = (h.warnings || []).find((w) => w.code === 'challenge_unavailable');
    setChallenge({ available: !!h.challenge.available, reason: off ? { vi: off.vi, en: off.en } : null });
  }
  const warn = (h.warnings || []).filter((w) => w.code !== 'challenge_unavailable').map(pick);
  $('health').textContent = parts.join(' · ') + (warn.length ? ' — ' + warn.join(' · ') : '');
  $('health').className = h.status;
}

// --- wiring ---
document.addEventListener('DOMContentLoaded', () => {
  const scan = $('scan');
  $('counter').value = localStorage.getItem('cancuoc-counter') || '';
  $('counter').addEventListener('change', () => { localStorage.setItem('cancuoc-counter', $('counter').value.trim()); refocus(); });
  $('counter').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); $('counter').blur(); refocus(); } });
  scan.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      clearTimeout(state.idleTimer);
      const text = scan.value;
      scan.value = '';
      submitScan(text, performance.now());
    }
  });
  scan.addEventListener('input', () => {
    $('result').classList.add('stale');
    clearTimeout(state.idleTimer);
    // Scanners set up without an Enter suffix: a complete-looking text followed by a pause.
    state.idleTimer = setTimeout(() => {
      if (looksComplete(scan.value)) {
        const text = scan.value;
        scan.value = '';
        submitScan(text, performance.now() - 400);
      }
    }, 400);
  });
  scan.addEventListener('blur', () => setTimeout(refocus, 0));
  document.addEventListener('click', (e) => { if (!e.target.closest('input, button, dialog')) refocus(); });
  document.addEventListener('keydown', (e) => {
    // A scan that starts while focus is elsewhere (a button was clicked) still lands in #scan.
    if (document.activeElement === document.body && e.key.length === 1) { scan.focus(); }
  });
  document.querySelectorAll('[data-mode]').forEach((b) => b.addEventListener('click', () => setMode(b.dataset.mode)));
  $('new-request').addEventListener('click', newRequest);
  $('lang').addEventListener('click', () => {
    state.lang = state.lang === 'vi' ? 'en' : 'vi';
    localStorage.setItem('cancuoc-lang', state.lang);
    applyLang();
    refocus();
  });
  $('token-form').addEventListener('submit', () => {
    localStorage.setItem('cancuoc-token', $('token').value.trim());
    setTimeout(() => { refreshHealth(); refocus(); }, 0);
  });
  applyLang();
  setInterval(refreshHealth, 60000);
  refocus();
});
