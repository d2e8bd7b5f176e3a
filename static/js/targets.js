// 绩效目标 pages: the sheet editor's rows (add, delete, reorder) and the list's "select all".
// No inline scripts (CSP): the templates mark elements with data-* attributes and this file acts on them.
(function () {
  "use strict";

  function sheetForm() {
    return document.getElementById("sheet-form");
  }

  function renumber(tbody) {
    var rows = tbody.querySelectorAll("tr.editor-row");
    for (var i = 0; i < rows.length; i++) {
      var cell = rows[i].querySelector(".row-number");
      if (cell) {
        cell.textContent = String(i + 1);
      }
    }
  }

  // Rows were added, removed or moved: number them again and ask the server for fresh totals
  // (the form's hx-trigger listens for "rows-changed").
  function rowsChanged(tbody) {
    renumber(tbody);
    var form = sheetForm();
    if (form) {
      form.dispatchEvent(new CustomEvent("rows-changed", { bubbles: true }));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-row-action]");
    if (!button) {
      return;
    }
    var row = button.closest("tr.editor-row");
    var tbody = row && row.parentElement;
    if (!tbody) {
      return;
    }
    var action = button.getAttribute("data-row-action");
    if (action === "remove") {
      var name = row.querySelector(".row-name");
      var label = name && name.value ? "「" + name.value + "」" : "本行";
      if (!window.confirm("删除" + label + "？保存后生效。")) {
        return;
      }
      row.remove();
    } else if (action === "up" && row.previousElementSibling) {
      tbody.insertBefore(row, row.previousElementSibling);
      button.focus();
    } else if (action === "down" && row.nextElementSibling) {
      tbody.insertBefore(row.nextElementSibling, row);
      button.focus();
    } else {
      return;
    }
    rowsChanged(tbody);
  });

  function makeSortable(root) {
    if (!window.Sortable) {
      return;
    }
    root.querySelectorAll("tbody.editor-rows").forEach(function (tbody) {
      if (tbody.hasAttribute("data-sortable")) {
        return;
      }
      tbody.setAttribute("data-sortable", "");
      window.Sortable.create(tbody, {
        handle: ".drag-handle",
        draggable: "tr.editor-row",
        animation: 150,
        onEnd: function () {
          rowsChanged(tbody);
        },
      });
    });
  }

  // A row came back from the server (library pick or free-form): number it, focus its name.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.matches && target.matches("tbody.editor-rows")) {
      rowsChanged(target);
      var last = target.querySelector("tr.editor-row:last-child .row-name");
      if (last) {
        last.focus();
      }
    }
  });

  // <input type="checkbox" data-check-all="sheets">: tick every enabled box of that name.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-check-all]");
    if (!all) {
      return;
    }
    var name = all.getAttribute("data-check-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]:not(:disabled)').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // Leaving the editor with unsaved changes asks first; saving does not.
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form === sheetForm()) {
      dirty = true;
    }
  });
  document.addEventListener("rows-changed", function () {
    dirty = true;
  });
  document.addEventListener("submit", function (event) {
    if (event.target === sheetForm()) {
      dirty = false;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      makeSortable(document);
    });
  } else {
    makeSortable(document);
  }
})();
