// facade: video posters load the YouTube player only when clicked (progressive enhancement).
// Without JS each poster is a plain link to the video on YouTube; the page itself never contacts
// a third party until the visitor asks to play.
(function () {
  "use strict";

  function play(link) {
    var frame = document.createElement("iframe");
    frame.className = "facade__frame";
    frame.src = link.getAttribute("data-facade-embed");
    frame.title = link.getAttribute("data-facade-title") || "動画";
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    link.replaceWith(frame);
    frame.focus();
  }

  // With JS the poster plays in place, so it is announced and operated as a button.
  function enhance() {
    document.querySelectorAll("a[data-facade-embed]").forEach(function (link) {
      link.setAttribute("role", "button");
      link.addEventListener("keydown", function (event) {
        if (event.key === " ") {
          event.preventDefault();
          play(link);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }

  document.addEventListener("click", function (event) {
    // Modified clicks keep the link's own behaviour (open YouTube in a new tab or window).
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    var target = event.target instanceof Element ? event.target : null;
    var link = target ? target.closest("a[data-facade-embed]") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    play(link);
  });
})();
