// People pickers: a filter box before every <select data-searchable>, narrowing its options to
// the names that contain what is typed. Works on the page and on fragments htmx swaps in.
(function () {
  "use strict";

  function attach(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "Type to find a person";
    box.setAttribute("aria-label", "Find a person in the list below");
    box.setAttribute("data-testid", "people-filter");
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var keep = !option.value || option.text.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !keep;
        option.disabled = !keep;
        if (keep && option.value && first === null) first = option;
      });
      var current = select.selectedOptions[0];
      if (needle && first !== null && (!select.value || (current && current.hidden))) {
        select.value = first.value;
      }
    });
  }

  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("select[data-searchable]").forEach(attach);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scan(event.target); });
})();
