/* Self-check scoring, entirely in the browser.
 *
 * The page works without this script (a printable paper checklist). With it, the form is scored here:
 * points come from data-points on each radio, the bands from data-min/data-max on the band blocks
 * rendered from content/selfcheck.yml. Nothing is sent (no fetch, no XHR, the form's method is
 * "dialog") and nothing is stored: answers live only in the page until it is closed or reloaded.
 */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("selfcheck");
    var result = document.getElementById("selfcheck-result");
    if (!form || !result) {
      return;
    }
    var missingBox = document.getElementById("selfcheck-missing");
    var items = Array.prototype.slice.call(form.querySelectorAll("[data-item]"));
    var bands = Array.prototype.slice.call(document.querySelectorAll("[data-band]"));

    Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (element) {
      element.hidden = false;
    });

    function checkedInput(item) {
      return item.querySelector("input[type=radio]:checked");
    }

    function itemText(item) {
      var legend = item.querySelector("legend");
      return legend ? legend.textContent.replace(/\s+/g, " ").trim() : "";
    }

    function showMissing(missing) {
      var summary = missingBox.querySelector("[data-role=missing-summary]");
      var list = missingBox.querySelector("[data-role=missing-list]");
      summary.textContent = "あと " + missing.length + " 項目です。答えていない項目を選んでから、もう一度「採点する」を押してください。";
      list.textContent = "";
      // A long list helps nobody: name the first few and let the marks on the items do the rest.
      missing.slice(0, 5).forEach(function (item) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + item.id;
        link.textContent = itemText(item);
        li.appendChild(link);
        list.appendChild(li);
      });
      if (missing.length > 5) {
        var more = document.createElement("li");
        more.textContent = "ほか " + (missing.length - 5) + " 項目";
        list.appendChild(more);
      }
      items.forEach(function (item) {
        var isMissing = missing.indexOf(item) !== -1;
        item.classList.toggle("is-missing", isMissing);
        item.querySelector("[data-role=missing]").hidden = !isMissing;
      });
      missingBox.hidden = false;
      missingBox.focus();
    }

    function clearMissing() {
      missingBox.hidden = true;
      items.forEach(function (item) {
        item.classList.remove("is-missing");
        item.querySelector("[data-role=missing]").hidden = true;
      });
    }

    function bandFor(total) {
      for (var i = 0; i < bands.length; i += 1) {
        var min = Number(bands[i].getAttribute("data-min"));
        var max = Number(bands[i].getAttribute("data-max"));
        if (total >= min && total <= max) {
          return bands[i];
        }
      }
      return null;
    }

    function today() {
      var now = new Date();
      return "チェックした日:" + now.getFullYear() + "年" + (now.getMonth() + 1) + "月" + now.getDate() + "日";
    }

    function showResult() {
      var total = 0;
      var perGroup = {};
      var review = [];
      items.forEach(function (item) {
        var input = checkedInput(item);
        var points = Number(input.getAttribute("data-points"));
        var group = item.getAttribute("data-group");
        total += points;
        perGroup[group] = (perGroup[group] || 0) + points;
        if (points <= 0) {
          review.push(item);
        }
      });

      result.querySelector("[data-role=total]").textContent = String(total);
      result.querySelector("[data-role=date]").textContent = today();
      Array.prototype.forEach.call(result.querySelectorAll("[data-group-row]"), function (row) {
        var score = perGroup[row.getAttribute("data-group-row")] || 0;
        row.querySelector("[data-role=group-score]").textContent = String(score);
      });

      var bandSlot = result.querySelector("[data-role=band]");
      bandSlot.textContent = "";
      var band = bandFor(total);
      if (band) {
        bandSlot.setAttribute("data-band-shown", band.getAttribute("data-band"));
        Array.prototype.forEach.call(band.children, function (child) {
          bandSlot.appendChild(child.cloneNode(true));
        });
      }

      var reviewBox = result.querySelector("[data-role=review]");
      var reviewList = result.querySelector("[data-role=review-list]");
      reviewList.textContent = "";
      review.forEach(function (item) {
        var li = document.createElement("li");
        var answer = checkedInput(item).parentNode.textContent.trim();
        li.textContent = itemText(item) + "(" + answer + ")";
        reviewList.appendChild(li);
      });
      reviewBox.hidden = review.length === 0;
      result.querySelector("[data-role=review-none]").hidden = review.length !== 0;

      result.hidden = false;
      document.body.classList.add("selfcheck-scored");
    }

    function score() {
      var missing = items.filter(function (item) {
        return !checkedInput(item);
      });
      if (missing.length) {
        showMissing(missing);
        return false;
      }
      clearMissing();
      showResult();
      return true;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (score()) {
        result.focus();
      }
    });

    // Once a result is shown, keep it in step with later changes instead of leaving a stale score.
    form.addEventListener("change", function (event) {
      var item = event.target.closest("[data-item]");
      if (item && item.classList.contains("is-missing")) {
        item.classList.remove("is-missing");
        item.querySelector("[data-role=missing]").hidden = true;
      }
      if (!result.hidden && items.every(checkedInput)) {
        showResult();
      }
    });

    form.addEventListener("reset", function () {
      clearMissing();
      result.hidden = true;
      document.body.classList.remove("selfcheck-scored");
    });

    Array.prototype.forEach.call(document.querySelectorAll("[data-action=print]"), function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
