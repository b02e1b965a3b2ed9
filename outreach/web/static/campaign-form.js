/* The campaign form: picking a topic fills the texts; each text shows its SMS segments live.
 * Segments follow outreach/messaging/segments.py (GSM 03.38): GSM-7 160/153 with extension
 * characters counting two and never split; otherwise UCS-2 70/67 counted in UTF-16 units,
 * a surrogate pair never split. Without this script the form still works in two steps. */
(function () {
  "use strict";

  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "\f^{}\\[~]|€";

  function isGsm(ch) {
    return GSM_BASIC.indexOf(ch) !== -1 || GSM_EXTENSION.indexOf(ch) !== -1;
  }

  function parts(widths, single, part) {
    var total = widths.reduce(function (a, b) { return a + b; }, 0);
    if (total === 0) { return 0; }
    if (total <= single) { return 1; }
    var count = 1, used = 0;
    widths.forEach(function (w) {
      if (used + w > part) { count += 1; used = 0; }
      used += w;
    });
    return count;
  }

  function countSegments(text) {
    var chars = Array.from(text);  // code points, as Python iterates a str
    var widths;
    if (chars.every(isGsm)) {
      widths = chars.map(function (ch) { return GSM_EXTENSION.indexOf(ch) !== -1 ? 2 : 1; });
      return { encoding: "GSM-7", single: 160, segments: parts(widths, 160, 153), units: sum(widths) };
    }
    widths = chars.map(function (ch) { return ch.codePointAt(0) > 0xFFFF ? 2 : 1; });
    return { encoding: "UCS-2", single: 70, segments: parts(widths, 70, 67), units: sum(widths) };
  }

  function sum(list) { return list.reduce(function (a, b) { return a + b; }, 0); }

  function describe(text) {
    var c = countSegments(text);
    if (c.segments === 0) { return "empty — nothing to send"; }
    if (c.segments === 1) { return c.encoding + " · 1 segment · " + c.units + "/" + c.single + " characters"; }
    return c.encoding + " · " + c.segments + " segments · " + c.units + " characters";
  }

  var form = document.getElementById("campaign-form");
  if (!form) { return; }
  var topics = JSON.parse(document.getElementById("campaign-topics").textContent);
  var samples = JSON.parse(document.getElementById("campaign-samples").textContent);
  var select = form.querySelector("[data-topic-select]");
  var areas = Array.prototype.slice.call(form.querySelectorAll("textarea[data-lang]"));
  var loaded = {};
  var fieldNames = Array.prototype.map.call(
    form.querySelectorAll("[data-topic-field]"), function (box) { return box.dataset.topicField; });  // language → the text the topic put there, to tell edits apart

  function values() {
    var v = Object.assign({}, samples);
    form.querySelectorAll("[data-topic-field]:not([hidden]) input[data-field]").forEach(function (input) {
      if (input.value.trim()) { v[input.dataset.field] = input.value.trim(); }
    });
    return v;
  }

  function render(text, v) {
    // As the server counts: a placeholder takes its value, a campaign field not yet filled
    // in drops out, anything else is counted as written.
    return text.replace(/\r\n/g, "\n").replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, function (m, name) {
      if (Object.prototype.hasOwnProperty.call(v, name)) { return String(v[name]); }
      return fieldNames.indexOf(name) !== -1 ? "" : m;
    });
  }

  function updateCounters() {
    var v = values();
    areas.forEach(function (area) {
      var out = form.querySelector('[data-counter="' + area.dataset.lang + '"]');
      if (out) { out.textContent = describe(render(area.value, v)); }
    });
  }

  function edited() {
    return areas.some(function (a) { return a.value !== (loaded[a.dataset.lang] || ""); });
  }

  function applyTopic(topic) {
    areas.forEach(function (area) {
      var lang = area.dataset.lang;
      area.value = topic ? (topic.texts[lang] || "") : "";
      loaded[lang] = area.value;
      var note = form.querySelector('[data-review="' + lang + '"]');
      if (note) {
        var text = topic ? (topic.review[lang] || "") : "";
        note.textContent = text;
        note.hidden = !text;
      }
    });
    form.querySelectorAll("[data-topic-field]").forEach(function (box) {
      box.hidden = !(topic && topic.fields.indexOf(box.dataset.topicField) !== -1);
    });
    var description = document.getElementById("topic-description");
    if (description && topic) { description.textContent = topic.description; }
    var hint = form.querySelector("[data-no-topic]");
    if (hint) { hint.hidden = !!topic; }
    updateCounters();
  }

  function showWhen() {
    var checked = form.querySelector('input[name="when"]:checked');
    var when = checked ? checked.value : "now";
    var sendAt = form.querySelector('[name="send_at"]');
    var repeat = form.querySelector('[name="recurrence"]');
    if (sendAt) { sendAt.closest(".field").hidden = when === "now"; }
    if (repeat) { repeat.closest(".field").hidden = when !== "recurring"; }
  }

  var zones = JSON.parse(document.getElementById("campaign-zones").textContent);
  function showZone() {
    var label = form.querySelector("[data-zone]");
    var ticked = form.querySelector('input[name="regions"]:checked');
    var code = ticked ? ticked.value : Object.keys(zones)[0];
    if (label && code) { label.textContent = zones[code] + " (" + code + ")"; }
  }
  form.querySelectorAll('input[name="regions"]').forEach(function (box) {
    box.addEventListener("change", showZone);
  });

  areas.forEach(function (a) { loaded[a.dataset.lang] = a.value; });
  form.querySelectorAll("[data-no-script]").forEach(function (el) { el.hidden = true; });
  var current = select.value;
  select.addEventListener("change", function () {
    if (edited() && !window.confirm("Replace the texts you edited with this topic's texts?")) {
      select.value = current;
      return;
    }
    current = select.value;
    applyTopic(topics[select.value]);
  });
  form.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-lang], input[data-field]")) { updateCounters(); }
  });
  form.querySelectorAll('input[name="when"]').forEach(function (r) { r.addEventListener("change", showWhen); });
  showWhen();

  // SMS texts and rate, or the voice settings: only what the chosen channel uses is shown.
  function showChannel() {
    var checked = form.querySelector('input[name="channel"]:checked');
    var channel = checked ? checked.value : "sms";
    form.querySelectorAll("[data-channel]").forEach(function (box) {
      box.hidden = box.dataset.channel !== channel;
    });
  }
  form.querySelectorAll('input[name="channel"]').forEach(function (r) { r.addEventListener("change", showChannel); });
  showChannel();
  updateCounters();
})();
