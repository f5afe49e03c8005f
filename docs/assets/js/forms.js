/* Signup forms: progressive enhancement only. Every form works without this file; the server
   checks everything again. Loaded on every page because it also carries a chamber's ?ref=<code>
   from a banner link to the form pages. */
(function () {
  "use strict";

  var REF_KEY = "cf-chamber-ref";

  function params() {
    return new URLSearchParams(window.location.search);
  }

  function rememberRef() {
    var ref = params().get("ref");
    if (ref && /^[a-z0-9-]{1,40}$/.test(ref)) {
      try {
        window.sessionStorage.setItem(REF_KEY, ref);
      } catch (e) {
        /* storage may be off: the ref then only works on the page it arrived on */
      }
      return ref;
    }
    try {
      return window.sessionStorage.getItem(REF_KEY);
    } catch (e) {
      return null;
    }
  }

  // Links to the form pages keep the chamber's ref, so "訓練に申し込む" on any page pre-selects it.
  function carryRef(ref) {
    if (!ref) return;
    var links = document.querySelectorAll('a[href*="apply/"]');
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.getAttribute("href"), window.location.href);
      if (url.origin !== window.location.origin || url.searchParams.has("ref")) return;
      url.searchParams.set("ref", ref);
      link.setAttribute("href", url.pathname + url.search + url.hash);
    });
  }

  function preselectChamber(form, ref) {
    var field = form.querySelector('[name="chamber"]');
    if (!field || field.value || !ref) return;
    var option = document.querySelector('#cf-chamber-list option[data-code="' + ref + '"]');
    if (option) field.value = option.value;
  }

  function preselectSession(form) {
    var select = form.querySelector('select[name="session_id"]');
    var wanted = params().get("session");
    if (!select || select.value || !wanted) return;
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value === wanted) select.value = wanted;
    });
  }

  function postalLookup(form) {
    var postal = form.querySelector('[name="postal_code"]');
    var prefecture = form.querySelector('[name="prefecture"]');
    var address = form.querySelector('[name="address"]');
    var status = form.querySelector("[data-cf-postal-status]");
    if (!postal || !prefecture || !address) return;
    var lastFilled = "";
    var lastCode = "";

    function digits(text) {
      return text
        .replace(/[０-９]/g, function (ch) {
          return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
        })
        .replace(/\D/g, "");
    }

    function lookup() {
      var code = digits(postal.value);
      if (code.length !== 7 || code === lastCode) return;
      lastCode = code;
      fetch("/api/postal/" + code, { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (!data) {
            if (status) status.textContent = "この郵便番号は見つかりませんでした。番号をお確かめください。";
            return;
          }
          prefecture.value = data.prefecture;
          // Fill the address only while it is empty or still holds what we filled before.
          if (!address.value || address.value === lastFilled) {
            address.value = data.address;
            lastFilled = data.address;
          }
          if (status) {
            status.textContent =
              "郵便番号から「" + data.prefecture + data.address + "」を入れました。続けて番地や建物名を入力してください。";
          }
        })
        .catch(function () {
          /* offline or the API is down: the applicant types the address by hand */
        });
    }

    postal.addEventListener("change", lookup);
    postal.addEventListener("input", lookup);
  }

  function participantsCounter(form) {
    var field = form.querySelector('[name="participants"]');
    var counter = form.querySelector("[data-cf-participants-count]");
    if (!field || !counter) return;
    function update() {
      var seen = {};
      var count = 0;
      field.value.split(/[\s,;、，；]+/).forEach(function (entry) {
        var key = entry.trim();
        if (!key) return;
        var at = key.lastIndexOf("@");
        if (at > 0) key = key.slice(0, at) + key.slice(at).toLowerCase();
        if (!seen[key]) {
          seen[key] = true;
          count += 1;
        }
      });
      counter.textContent = count ? "いま " + count + " 件です(最大10件)。" : "";
    }
    field.addEventListener("input", update);
    update();
  }

  // Early hints while typing (the server checks everything again and has the final word).
  var EARLY = {
    email: {
      test: function (v) {
        return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
      },
      message: "メールアドレスの形式をご確認ください(例: taro@example.co.jp)。",
    },
    postal_code: {
      test: function (v) {
        return v.replace(/\D/g, "").length === 7;
      },
      message: "郵便番号は7桁の数字で入力してください。",
    },
    tel: {
      test: function (v) {
        return /^0\d{9,10}$/.test(v.replace(/\D/g, ""));
      },
      message: "電話番号は、0から始まる10桁か11桁の数字で入力してください。",
    },
  };

  function halfWidth(text) {
    return text.replace(/[\uff01-\uff5e]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    });
  }

  function earlyChecks(form) {
    Array.prototype.forEach.call(form.querySelectorAll("input.cf-input"), function (field) {
      var rule = EARLY[field.type] || EARLY[field.name];
      if (field.name === "phone") rule = EARLY.tel;
      if (!rule) return;
      var hintId = field.id + "-early";
      field.addEventListener("blur", function () {
        var value = halfWidth(field.value).trim();
        var hint = document.getElementById(hintId);
        if (!value || rule.test(value)) {
          if (hint) {
            hint.remove();
            var rest = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
              return id && id !== hintId;
            });
            if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
            else field.removeAttribute("aria-describedby");
          }
          if (!document.getElementById(field.id + "-error")) field.removeAttribute("aria-invalid");
          return;
        }
        if (!hint) {
          hint = document.createElement("p");
          hint.className = "cf-field-error";
          hint.id = hintId;
          field.parentNode.insertBefore(hint, field);
          var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
          if (described.indexOf(hintId) < 0) described.push(hintId);
          field.setAttribute("aria-describedby", described.join(" "));
        }
        hint.textContent = rule.message;
        field.setAttribute("aria-invalid", "true");
      });
    });
  }

  function maintenanceNotice(wrap) {
    var notice = wrap.querySelector("[data-cf-maintenance]");
    if (!notice) return;
    fetch("/api/status", { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || data.intake !== "maintenance") return;
        var message = notice.querySelector(".cf-maintenance__message");
        if (message) message.textContent = data.message || "";
        notice.hidden = false;
      })
      .catch(function () {});
  }

  function init() {
    var ref = rememberRef();
    carryRef(ref);
    var wraps = document.querySelectorAll(".cf-form-wrap");
    Array.prototype.forEach.call(wraps, function (wrap) {
      var form = wrap.querySelector("form");
      if (!form) return;
      preselectChamber(form, ref);
      preselectSession(form);
      postalLookup(form);
      participantsCounter(form);
      earlyChecks(form);
      maintenanceNotice(wrap);
      var summary = wrap.querySelector("#cf-error-summary");
      if (summary) summary.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
