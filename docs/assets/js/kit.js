// kit: the chamber picker and copy buttons of the chamber kit (progressive enhancement).
// Without JS the page shows generic snippets (no ?ref=) that can still be selected by hand.
(function () {
  "use strict";

  var STORAGE_KEY = "campaign-kit-chamber";
  var TOKEN = "{ref}";

  function templates() {
    return document.querySelectorAll("[data-kit-template]");
  }

  function applyRef(code) {
    var ref = code ? "?ref=" + encodeURIComponent(code) : "";
    templates().forEach(function (el) {
      el.textContent = el.getAttribute("data-kit-template").split(TOKEN).join(ref);
    });
  }

  function remember(code) {
    try {
      if (code) {
        window.localStorage.setItem(STORAGE_KEY, code);
      } else {
        window.localStorage.removeItem(STORAGE_KEY);
      }
    } catch (error) {
      // Storage may be off (private mode); the picker still works for this page.
    }
  }

  function recalled() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) || "";
    } catch (error) {
      return "";
    }
  }

  function setupPicker(picker) {
    var select = picker.querySelector("[data-kit-select]");
    var filter = picker.querySelector("[data-kit-filter]");
    var current = picker.querySelector("[data-kit-current]");
    var controls = picker.querySelector("[data-kit-controls]");
    var nojs = picker.querySelector("[data-kit-nojs]");
    if (!select || !controls) {
      return;
    }
    controls.hidden = false;
    if (nojs) {
      nojs.hidden = true;
    }

    function update() {
      var option = select.options[select.selectedIndex];
      applyRef(select.value);
      remember(select.value);
      if (current) {
        current.textContent = select.value
          ? option.text + "のコード「" + select.value + "」をリンクに付けています。"
          : "商工会議所を選ぶと、このページのリンクすべてに貴所のコードが付きます。";
      }
    }

    select.addEventListener("change", update);

    if (filter) {
      filter.addEventListener("input", function () {
        var query = filter.value.trim().toLowerCase();
        var matches = [];
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.value) {
            return;
          }
          var haystack = (option.getAttribute("data-search") || option.text).toLowerCase();
          var hit = !query || haystack.indexOf(query) !== -1;
          option.hidden = !hit;
          option.disabled = !hit;
          if (hit) {
            matches.push(option);
          }
        });
        // One match left: pick it, so typing a name is enough.
        if (query && matches.length === 1 && select.value !== matches[0].value) {
          select.value = matches[0].value;
          update();
        }
      });
    }

    var saved = recalled();
    if (saved && select.querySelector('option[value="' + saved.replace(/[^a-z0-9-]/g, "") + '"]')) {
      select.value = saved;
    }
    update();
  }

  function announce(button, message) {
    var status = button.parentNode.querySelector(".kit-copy-status");
    if (!status) {
      return;
    }
    status.textContent = "";
    // A fresh text node each time, so screen readers repeat the message on a second copy.
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
    window.clearTimeout(button._kitTimer);
    button._kitTimer = window.setTimeout(function () {
      status.textContent = "";
    }, 4000);
  }

  function fallbackCopy(source, text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    document.body.removeChild(area);
    if (!ok) {
      // Leave the text selected so the visitor can copy it with the keyboard.
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    return ok;
  }

  function setupCopy(button) {
    var source = document.getElementById(button.getAttribute("data-kit-copy"));
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent;
      var done = function () {
        announce(button, "コピーしました");
      };
      var failed = function () {
        if (fallbackCopy(source, text)) {
          done();
        } else {
          announce(button, "コピーできませんでした。選択した文字をコピーしてください");
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, failed);
      } else {
        failed();
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-kit-picker]").forEach(setupPicker);
    document.querySelectorAll("[data-kit-copy]").forEach(setupCopy);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
