// eggsec HTML report: the findings filter. The page reads fully without this script; it only
// shows the filter form and hides the rows and cards that do not match.
(function () {
  'use strict';
  var sections = document.querySelectorAll('section.findings');
  Array.prototype.forEach.call(sections, function (section) {
    var form = section.querySelector('form.filters');
    if (!form) { return; }
    var rows = Array.prototype.slice.call(section.querySelectorAll('tbody tr[data-card]'));
    var shown = section.querySelector('.shown');
    var field = function (name) { var el = form.elements.namedItem(name); return el ? el.value : ''; };
    function apply() {
      var sevs = {};
      Array.prototype.forEach.call(form.querySelectorAll('input[name="sev"]'), function (box) {
        sevs[box.value] = box.checked;
      });
      var strategy = field('strategy'), rule = field('rule'), file = field('file');
      var confidence = field('confidence'), q = field('q').trim().toLowerCase();
      var count = 0;
      rows.forEach(function (row) {
        var d = row.dataset;
        var card = document.getElementById(d.card);
        var text = q ? (row.textContent + ' ' + (card ? card.textContent : '')).toLowerCase() : '';
        var ok = sevs[d.sev] !== false &&
          (!strategy || d.strategy === strategy) &&
          (!rule || d.rule === rule) &&
          (!file || d.file === file) &&
          (!confidence || d.confidence === confidence) &&
          (!q || text.indexOf(q) !== -1);
        row.hidden = !ok;
        if (card) { card.hidden = !ok; }
        if (ok) { count += 1; }
      });
      shown.textContent = count === rows.length
        ? 'Showing all ' + rows.length + ' findings.'
        : 'Showing ' + count + ' of ' + rows.length + ' findings.';
      section.setAttribute('data-shown', String(count));
    }
    form.addEventListener('input', apply);
    form.addEventListener('change', apply);
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    form.addEventListener('reset', function () { window.setTimeout(apply, 0); });
    form.hidden = false;
    apply();

    // "N findings of this strategy" links in the strategy sections filter to that strategy.
    var app = section.closest('section.app');
    if (app) {
      Array.prototype.forEach.call(app.querySelectorAll('a[data-filter-strategy]'), function (a) {
        a.addEventListener('click', function () {
          form.reset();
          var select = form.elements.namedItem('strategy');
          if (select) { select.value = a.getAttribute('data-filter-strategy'); }
          apply();
        });
      });
    }
  });
})();
