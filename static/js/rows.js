// Adds and removes repeating rows (victims, perpetrators, sources, protection requests) in the
// incident form. A new row copies the block's <template>, numbered after the highest index in
// use, so WTForms reads it as another entry of the FieldList.
(function () {
  "use strict";

  function highestIndex(block) {
    let max = -1;
    block.querySelectorAll(".row-list [name]").forEach(function (el) {
      const m = el.name.match(/^[a-z_]+-(\d+)-/);
      if (m) max = Math.max(max, parseInt(m[1], 10));
    });
    return max;
  }

  function addRow(block, index) {
    if (index === undefined) index = highestIndex(block) + 1;
    const html = block.querySelector("template").innerHTML.replace(/__index__/g, String(index));
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const row = holder.firstElementChild;
    block.querySelector(".row-list").appendChild(row);
    return row;
  }

  document.addEventListener("click", function (event) {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const row = addRow(add.closest("[data-rows]"));
      const first = row.querySelector("select, input");
      if (first) first.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("[data-row]");
      const form = row.closest("form");
      row.remove();
      if (form) form.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  window.trackerRows = { addRow: addRow };
})();
