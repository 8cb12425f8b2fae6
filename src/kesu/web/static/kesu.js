// Keyboard use of the staff pages, no library: single keys outside form fields.
//   g then q / n / b : go to the queue, the registration form, the breaches list
//   j / k            : next / previous row of a table marked data-rows; Enter opens it
//   /                : focus the first filter or search field of the page
//   ?                : show or hide the list of keys
(function () {
  "use strict";
  var pendingG = false;
  var current = -1;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    var table = document.querySelector("[data-rows]");
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  }

  function select(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    var link = all[current].querySelector("a");
    if (link) { link.focus(); }
  }

  function go(key) {
    var link = document.querySelector('[data-key="' + key + '"]');
    if (link) { window.location.href = link.getAttribute("href"); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q" || key === "n" || key === "b") { event.preventDefault(); go(key); }
      return;
    }
    if (key === "g") { pendingG = true; return; }
    if (key === "j") { event.preventDefault(); select(current + 1); return; }
    if (key === "k") { event.preventDefault(); select(current - 1); return; }
    if (key === "/") {
      var field = document.querySelector("[data-search]");
      if (field) { event.preventDefault(); field.focus(); }
      return;
    }
    if (key === "?") {
      var help = document.getElementById("keys-help");
      if (help) { event.preventDefault(); help.hidden = !help.hidden; }
    }
  });
})();
