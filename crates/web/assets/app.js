// Redress: progressive enhancement only. Every page works without this file.
// 1. The refund form checks the amount against the refundable maximum as the buyer types.
// 2. The refund form saves its draft on the server while the buyer types.
// 3. Buttons of forms marked data-confirm ask first.
(function () {
  'use strict';

  function fen(text) {
    var m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(text || '');
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || '') + '00').slice(0, 2), 10);
  }

  function amountCheck(form) {
    var amount = form.querySelector('#amount');
    var hint = document.getElementById('amount-hint');
    var max = document.getElementById('max-refundable');
    if (!amount || !hint || !max) return;
    var limit = parseInt(max.getAttribute('data-fen'), 10);
    function check() {
      var value = fen(amount.value);
      var above = value !== null && value > limit;
      hint.textContent = above ? hint.getAttribute('data-above') : hint.getAttribute('data-ok');
      hint.classList.toggle('bad', above);
      amount.setAttribute('aria-invalid', above ? 'true' : 'false');
    }
    amount.addEventListener('input', check);
    check();
  }

  function autosave(form) {
    var status = document.getElementById('autosave-status');
    var timer = null;
    var busy = false;
    var again = false;
    function save() {
      if (busy) { again = true; return; }
      busy = true;
      var body = new URLSearchParams(new FormData(form));
      body.set('action', 'save');
      fetch(form.getAttribute('action'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-Redress-Autosave': '1', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: body
      }).then(function (res) {
        return res.json().then(function (data) {
          if (res.ok && data.edit) {
            if (form.getAttribute('action') !== data.edit) {
              form.setAttribute('action', data.edit);
              history.replaceState(null, '', data.edit);
            }
          }
          if (status && res.ok && data.message) status.textContent = data.message;
        });
      }).catch(function () { /* the buttons still work */ }).then(function () {
        busy = false;
        if (again) { again = false; save(); }
      });
    }
    form.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(save, 1200);
    });
    form.addEventListener('submit', function () { clearTimeout(timer); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('apply-form');
    if (form) {
      amountCheck(form);
      if (form.hasAttribute('data-autosave')) autosave(form);
    }
    document.querySelectorAll('form[data-confirm]').forEach(function (f) {
      f.addEventListener('submit', function (e) {
        if (!window.confirm(f.getAttribute('data-confirm'))) e.preventDefault();
      });
    });
  });
})();
