/* The phone simulator: keep the newest message in view, as a phone does. */
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  if (chat) { chat.scrollTop = chat.scrollHeight; }
})();
