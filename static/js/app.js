// 绩效通 page behaviour (no inline scripts: CSP script-src 'self')
(function () {
  "use strict";

  // <form data-confirm="确定…？"> or <button data-confirm="…">: ask before submitting / clicking.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-confirm]");
    if (link && !window.confirm(link.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit>: filter bars refresh when a choice changes.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]") && event.target.form) {
      event.target.form.requestSubmit();
    }
  });

  // pageshow from the back/forward cache: re-enable what was disabled below.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[data-sent]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-sent");
    });
  });

  // Disable a POST form's submit buttons once sent, so a double click does not post twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method.toLowerCase() !== "post" || form.hasAttribute("data-allow-resubmit")) {
      return;
    }
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]:not([disabled])").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("data-sent", "");
      });
    }, 0);
  });

  // htmx: refusals come back as 4xx with a message; show it instead of silently doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = "操作失败（" + xhr.status + "）";
    try {
      var data = JSON.parse(xhr.responseText);
      if (data && data.detail) {
        text = data.detail;
      }
    } catch (e) {
      // Not JSON: keep the generic message.
    }
    window.alert(text);
  });
})();
