// Rongcuo pages: progressive enhancement only — every page works without this file.
(function () {
  "use strict";
  // After a refused action, move keyboard and screen-reader focus to the message that explains it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // "Copy link" beside the shareable self-check address (the address itself is shown as text anyway).
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(input.value).then(function () {
          var done = document.querySelector("[data-copied]");
          if (done) { done.hidden = false; }
        });
      });
    });
  }
})();

// The application form (我的申请): materials of the chosen rules only; drafts deleted after a confirmation;
// uploads with a progress bar. Without this file the form shows every pack's materials and submits normally.
(function () {
  "use strict";
  var en = (document.documentElement.lang || "").indexOf("en") === 0;
  function say(zh, english) { return en ? english : zh; }

  var applyError = document.getElementById("apply-error") || document.getElementById("drafts-error");
  if (applyError && !document.getElementById("error-summary")) { applyError.focus(); }

  // Only the fieldset of the materials of the selected rules (or of the project's bureau, by default).
  var project = document.getElementById("ap-project");
  var pack = document.getElementById("ap-pack");
  var sets = Array.prototype.slice.call(document.querySelectorAll("fieldset[data-pack]"));
  function showChosenMaterials() {
    var chosen = pack && pack.value;
    if (!chosen && project && project.selectedIndex >= 0) {
      chosen = project.options[project.selectedIndex].getAttribute("data-default-pack") || "";
    }
    var any = sets.some(function (fs) { return fs.getAttribute("data-pack") === chosen; });
    sets.forEach(function (fs) {
      var on = !any || fs.getAttribute("data-pack") === chosen;
      fs.hidden = !on;
      fs.disabled = !on; // a hidden fieldset's files are not sent
    });
    document.querySelectorAll("[data-nojs-only]").forEach(function (el) { el.hidden = any; });
  }
  if (sets.length) {
    if (project) { project.addEventListener("change", showChosenMaterials); }
    if (pack) { pack.addEventListener("change", showChosenMaterials); }
    showChosenMaterials();
  }

  // Forms that destroy something ask first (the text is the form's data-confirm, in the page language).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // Forms marked data-progress send their files with XMLHttpRequest and show how much is uploaded. The server
  // answers as to a plain form: a redirect on success (the page it leads to is shown, at its address), or the
  // page again with the error (status 400, 403, 404 or 409), which is shown instead of this one.
  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.rongcuoReload) { window.location.reload(); }
  });
  function replaceDocument(html) {
    document.open();
    document.write(html);
    document.close();
  }
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    if (!window.XMLHttpRequest || !window.FormData) { return; }
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (event.defaultPrevented || (submitter && submitter.hasAttribute("data-plain"))) { return; }
      var files = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
        return !input.disabled && input.files && input.files.length > 0;
      });
      if (!files) { return; } // nothing to upload: an ordinary submission
      event.preventDefault();

      var box = form.querySelector(".upload-progress");
      if (!box) {
        box = document.createElement("div");
        box.className = "upload-progress field";
        box.innerHTML = '<label></label> <progress max="100" value="0"></progress>' +
          '<span class="visually-hidden" role="status" aria-live="polite"></span>';
        var id = (form.id || "form") + "-progress";
        box.querySelector("progress").id = id;
        box.querySelector("label").setAttribute("for", id);
        form.appendChild(box);
      }
      var bar = box.querySelector("progress");
      var label = box.querySelector("label");
      var status = box.querySelector("[role=status]");
      var buttons = form.querySelectorAll("button, input[type=submit]");
      function show(percent) {
        bar.value = percent;
        bar.textContent = percent + "%";
        label.textContent = say("上传中 ", "Uploading ") + percent + "%";
      }
      function busy(on) {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = on; });
        form.setAttribute("aria-busy", on ? "true" : "false");
      }
      box.hidden = false;
      show(0);
      status.textContent = say("正在上传文件…", "Uploading the files…");
      busy(true);

      var xhr = new XMLHttpRequest();
      xhr.open((form.getAttribute("method") || "post").toUpperCase(), form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { show(Math.min(100, Math.floor(e.loaded * 100 / e.total))); }
      };
      xhr.upload.onload = function () {
        show(100);
        label.textContent = say("上传完成，正在办理…", "Uploaded; processing…");
        status.textContent = label.textContent;
      };
      xhr.onload = function () {
        var html = /html/i.test(xhr.getResponseHeader("Content-Type") || "") ? xhr.responseText : "";
        if (xhr.status >= 200 && xhr.status < 300 && html) {
          // The redirect was followed: show that page (with its "filed" message, which a second request
          // would no longer carry) and move to its address.
          // Back then returns to the form's page (or the form's data-back), loaded afresh.
          var moved = xhr.responseURL && xhr.responseURL !== window.location.href;
          if (moved) {
            window.history.replaceState({rongcuoReload: true}, "", form.getAttribute("data-back") || undefined);
          }
          replaceDocument(html);
          if (moved) { window.history.pushState({rongcuoReload: true}, "", xhr.responseURL); }
        } else if (html) {
          replaceDocument(html); // the form again, with the error named beside it
        } else if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
        } else {
          failed();
        }
      };
      function failed() {
        busy(false);
        label.textContent = say("上传失败，请检查网络后重试", "The upload failed; check the connection and try again");
        status.textContent = label.textContent;
      }
      xhr.onerror = failed;
      xhr.onabort = failed;
      xhr.send(new FormData(form));
    });
  });
})();
