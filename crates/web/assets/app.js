// Redress: progressive enhancement only. Every page works without this file.
// 1. The refund form checks the amount against the refundable maximum as the buyer types.
// 2. The refund form saves its draft on the server while the buyer types.
// 3. Buttons of forms marked data-confirm ask first.
// 4. Upload forms take a dropped file and show a progress bar.
// 5. Copy buttons (hidden without this file) copy the text of the element they name.
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

  function upload(form) {
    var input = form.querySelector('input[type=file]');
    var zone = form.querySelector('.dropzone');
    var bar = form.querySelector('.upload-progress');
    var status = form.querySelector('[data-upload-status]');
    if (zone && input) {
      ['dragenter', 'dragover'].forEach(function (t) {
        zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add('over'); });
      });
      ['dragleave', 'drop'].forEach(function (t) {
        zone.addEventListener(t, function () { zone.classList.remove('over'); });
      });
      zone.addEventListener('drop', function (e) {
        e.preventDefault();
        if (e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
          zone.textContent = e.dataTransfer.files[0].name;
        }
      });
      input.addEventListener('change', function () {
        if (input.files.length) zone.textContent = input.files[0].name;
      });
    }
    form.addEventListener('submit', function (e) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.getAttribute('action'));
      xhr.setRequestHeader('X-Redress-Upload', '1');
      if (bar) { bar.hidden = false; bar.value = 0; }
      if (status) { status.textContent = status.getAttribute('data-uploading'); status.classList.remove('bad'); }
      xhr.upload.onprogress = function (ev) {
        if (bar && ev.lengthComputable) bar.value = Math.round(ev.loaded * 100 / ev.total);
      };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300 && data.next) {
          window.location.href = data.next;
        } else {
          if (bar) bar.hidden = true;
          if (status) { status.textContent = data.message || xhr.statusText; status.classList.add('bad'); }
        }
      };
      xhr.onerror = function () {
        if (bar) bar.hidden = true;
        if (status) status.classList.add('bad');
      };
      xhr.send(new FormData(form));
    });
  }

  function copyButton(button) {
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      var done = function () {
        button.textContent = button.getAttribute('data-done');
        window.setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.textContent).then(done, function () { select(source); });
      } else {
        select(source);
      }
    });
  }

  // Where the clipboard is not available: select the text, for the reader to copy.
  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form[data-upload]').forEach(upload);
    var form = document.getElementById('apply-form');
    if (form) {
      amountCheck(form);
      if (form.hasAttribute('data-autosave')) autosave(form);
    }
    document.querySelectorAll('button[data-copy]').forEach(copyButton);
    document.querySelectorAll('form[data-confirm]').forEach(function (f) {
      f.addEventListener('submit', function (e) {
        if (!window.confirm(f.getAttribute('data-confirm'))) e.preventDefault();
      });
    });
  });
})();
