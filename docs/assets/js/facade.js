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
