/** The console's progressive-enhancement script, served at /console/assets/console.js. Kept as a module so the compiled server (dist/) carries it without a copy step. */
export const CONSOLE_JS = String.raw`// psa-connector console: progressive enhancement only. Every page works without this file;
// it adds select-all boxes, a live count of selected items, confirmations, "/" to search and
// a guard against double submits.
(function () {
  'use strict';
  function boxes(name) {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name="' + name + '"]'));
  }
  function updateCounts() {
    document.querySelectorAll('[data-count-of]').forEach(function (el) {
      var n = boxes(el.getAttribute('data-count-of')).filter(function (b) { return b.checked; }).length;
      el.textContent = n === 0 ? 'none selected' : n + ' selected';
    });
  }
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t.matches && t.matches('input[data-select-all]')) {
      var scope = t.getAttribute('data-scope');
      boxes(t.getAttribute('data-select-all')).forEach(function (b) {
        if (!b.disabled && (!scope || b.closest('[data-group="' + scope + '"]'))) b.checked = t.checked;
      });
    }
    updateCounts();
  });
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var button = e.submitter;
    var question = (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { e.preventDefault(); return; }
    if (form.getAttribute('method') === 'post') {
      // The clicked button's name/value must still be sent: disable on the next tick.
      setTimeout(function () {
        form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
        if (button) button.textContent = 'Working…';
      }, 0);
    }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
    var search = document.querySelector('[data-search]');
    if (search) { e.preventDefault(); search.focus(); }
  });
  document.addEventListener('DOMContentLoaded', updateCounts);
})();
`;
