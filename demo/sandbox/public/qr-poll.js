// Polls the QR ticket and, once the "phone" confirms, submits the completion form: a top-level
// navigation, so the platform can set its session cookie and redirect to the business system.
(function () {
  'use strict';
  var box = document.getElementById('qr');
  var form = document.getElementById('qr-complete');
  var statusText = document.getElementById('qr-status');
  if (!box || !form || !statusText) return;
  var url = box.getAttribute('data-status-url');
  var stopped = false;

  function show(state, text) {
    statusText.setAttribute('data-state', state);
    statusText.textContent = text;
  }

  function poll() {
    if (stopped) return;
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (body.status === 'confirmed') {
          stopped = true;
          show('confirmed', '已确认，正在登录…');
          form.submit();
        } else if (body.status === 'expired') {
          stopped = true;
          show('expired', '二维码已过期，请刷新页面重新扫码。');
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
