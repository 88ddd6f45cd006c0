/*
 * Clinic FAQ chat widget. Embed with one tag:
 *   <script src="https://assistant.example/widget/chat.js" data-server="https://assistant.example" defer></script>
 * No framework, no build step, no CDN. It lives in a shadow root, so the host page's CSS cannot reach it and
 * its CSS cannot reach the page. Bot and user text are always inserted as text; links only for
 * http, https, mailto and tel. The sender id and the history live in sessionStorage: a reload keeps the
 * conversation, closing the tab ends it. Under each answer, "Was this helpful?" Yes / No (and an optional
 * reason after No) is posted to /webhooks/rest/feedback; the vote is kept in the same storage, so it is drawn
 * without a round trip and a reload keeps it. A vote that cannot be sent offers a quiet Retry beside it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__clinicChatLoaded) return;
  window.__clinicChatLoaded = true;

  var SERVER = (script.getAttribute("data-server") || new URL(script.src).origin).replace(/\/+$/, "");
  var STORE = "clinic-chat:" + SERVER;
  var SAFE_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"];
  var LINK = /(https?:\/\/[^\s<>"']+|mailto:[^\s<>"']+|tel:\+?[\d\-\s().]{3,}\d)/g;
  var TIMEOUT_MS = 15000;
  var MAX_REASON = 300;

  var state = load();
  var config = { clinic: "our clinic", disclaimer: "", emergency_number: "911" };
  var lastSent = null;
  // One question at a time: buttons clicked while a reply is on its way do nothing. "Start over" abandons the
  // request in flight (`generation` changes), so its reply never lands in the new conversation.
  var busy = false, generation = 0, inFlight = null;
  var replaying = false;  // re-drawing the saved conversation after a reload: nothing is announced again
  var phone = window.matchMedia ? window.matchMedia("(max-width: 480px)") : { matches: false };  // full screen

  // ---- state in sessionStorage ---------------------------------------------------------------------
  function newSender() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE));
      if (saved && /^[0-9a-f]{32}$/.test(saved.sender) && Array.isArray(saved.history)) {
        if (!saved.votes || typeof saved.votes !== "object") saved.votes = {};
        return saved;
      }
    } catch (e) { /* storage unavailable or corrupt: start fresh */ }
    return { sender: newSender(), history: [], open: false, votes: {} };
  }
  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: keep in memory */ }
  }

  // ---- DOM helpers ---------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function safeHref(href) {
    try {
      var url = new URL(href, SERVER);
      return SAFE_PROTOCOLS.indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (e) { return null; }
  }
  function link(href, text) {
    var safe = safeHref(href);
    if (!safe) return document.createTextNode(text);
    var a = el("a", { href: safe, text: text });
    if (/^https?:/.test(safe)) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    return a;
  }
  /* Text with its http(s)/mailto/tel addresses as links; everything else stays text. */
  function richText(text) {
    var frag = document.createDocumentFragment();
    var last = 0;
    String(text).replace(LINK, function (match, _g, offset) {
      frag.appendChild(document.createTextNode(text.slice(last, offset)));
      var trimmed = match.replace(/[.,;:!?)]+$/, "");
      frag.appendChild(link(trimmed, trimmed));
      last = offset + trimmed.length;
      return match;
    });
    frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  /* A speech bubble drawn in SVG: an emoji shows as an empty box where no emoji font is installed. */
  function chatIcon() {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    [["class", "icon-chat"], ["viewBox", "0 0 24 24"], ["width", "20"], ["height", "20"], ["aria-hidden", "true"],
     ["focusable", "false"]].forEach(function (a) { svg.setAttribute(a[0], a[1]); });
    var path = document.createElementNS(NS, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  // ---- the widget ----------------------------------------------------------------------------------
  var host = el("div", { id: "clinic-chat-widget" });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: SERVER + "/widget/chat.css" }));

  var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false",
    "aria-controls": "chat-panel", "aria-label": "Ask a question: chat about our articles" }, [
    chatIcon(), el("span", { text: "Ask a question" })]);
  var title = el("h2", { id: "chat-title", text: "Questions about our articles" });
  var restart = el("button", { type: "button", class: "ghost", text: "Start over" });
  var close = el("button", { type: "button", class: "ghost close", "aria-label": "Close the chat", text: "✕" });
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation", tabindex: "0" });
  var typing = el("div", { class: "typing", hidden: "", role: "status", "aria-label": "The assistant is typing" },
    [el("span"), el("span"), el("span")]);
  var input = el("textarea", { id: "chat-input", rows: "1", maxlength: "1000", autocomplete: "off",
    placeholder: "Type your question" });
  var send = el("button", { type: "submit", class: "send", text: "Send" });
  var form = el("form", { class: "composer" }, [
    el("label", { for: "chat-input", class: "visually-hidden", text: "Your question" }), input, send]);
  var panel = el("section", { id: "chat-panel", class: "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "chat-title", hidden: "" }, [
    el("header", {}, [title, restart, close]), log, typing, form]);
  root.appendChild(launcher);
  root.appendChild(panel);

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(who, extraClass) {
    var node = el("div", { class: "msg " + who + (extraClass ? " " + extraClass : "") });
    log.appendChild(node);
    return node;
  }

  function renderUser(text) {
    var node = bubble("user");
    node.appendChild(el("span", { class: "visually-hidden", text: "You said: " }));
    node.appendChild(document.createTextNode(text));
  }

  function choiceButtons(choices) {
    var row = el("div", { class: "choices" });
    choices.forEach(function (choice) {
      if (!choice || !choice.title || !choice.payload) return;
      var b = el("button", { type: "button", class: "choice", text: choice.title });
      b.addEventListener("click", function () { ask(choice.payload, choice.title); });
      row.appendChild(b);
    });
    return row.childNodes.length ? row : null;
  }

  function citations(list) {
    var box = el("div", { class: "sources" });
    var seen = {};
    list.forEach(function (c) {
      var label = "Source: " + c.title + " - " + c.section;
      if (!seen[label]) {
        seen[label] = true;
        var href = SERVER + "/sources/" + encodeURIComponent(c.source_id) + "#" + encodeURIComponent(c.passage_id);
        box.appendChild(el("p", { class: "source" }, [link(href, label)]));
      }
    });
    var quotes = el("details", { class: "quotes" }, [el("summary", { text: "Show the quoted passage" })]);
    list.forEach(function (c) { quotes.appendChild(el("blockquote", { text: c.quote })); });
    box.appendChild(quotes);
    return box;
  }

  /* One bot message from Rasa's REST channel: {text, buttons} or {custom}. */
  function renderBot(message, group) {
    var custom = message.custom;
    if (custom) {
      if (!group) group = bubble("bot");
      group.classList.add("kind-" + custom.kind);
      if (custom.kind === "emergency") {
        group.insertBefore(el("span", { class: "icon", "aria-hidden": "true", text: "⚠" }), group.firstChild);
        if (!replaying) group.setAttribute("role", "alert");
        var calls = el("div", { class: "calls" });
        (custom.contacts || []).forEach(function (c) {
          var a = link(c.href, "Call " + c.label + ": " + c.number);
          if (a.tagName === "A") a.className = "call";
          calls.appendChild(a);
        });
        group.appendChild(calls);
      }
      if (custom.contact) {  // a handoff, or a question only the clinic can answer
        var contact = el("div", { class: "calls" });
        if (custom.contact.phone_href) contact.appendChild(link(custom.contact.phone_href, "Call " + custom.contact.phone));
        if (custom.contact.booking_url) contact.appendChild(link(custom.contact.booking_url, "Book an appointment"));
        group.appendChild(contact);
      }
      if (custom.citations && custom.citations.length) group.appendChild(citations(custom.citations));
      if (custom.kind === "answer" && custom.answer_id) group.appendChild(voteBox(custom.answer_id));
      if (!message.hadButtons && custom.suggestions && custom.suggestions.length) {
        var row = choiceButtons(custom.suggestions);
        if (row) { row.classList.add("suggestions"); group.appendChild(row); }
      }
      return group;
    }
    group = bubble("bot");
    if (message.text) group.appendChild(el("p", {}, [richText(message.text)]));
    if (message.buttons) { var buttons = choiceButtons(message.buttons); if (buttons) group.appendChild(buttons); }
    return group;
  }

  // ---- "Was this helpful?" ------------------------------------------------------------------------
  // state.votes[answer_id] = {helpful: true|false, reason: "", status: "sending"|"sent"|"failed"}. One vote per
  // answer: every box of the same answer shows it, and a new click replaces it.
  var voteBoxes = [];
  function voteBox(answerId) {
    var box = el("div", { class: "feedback", role: "group", "aria-label": "Was this answer helpful?" });
    var yes = el("button", { type: "button", class: "vote", "aria-pressed": "false", text: "Yes" });
    var no = el("button", { type: "button", class: "vote", "aria-pressed": "false", text: "No" });
    var status = el("span", { class: "vote-status", role: "status" });
    var retry = el("button", { type: "button", class: "vote-retry", hidden: "", text: "Retry" });
    var reason = el("textarea", { class: "reason-text", rows: "2", maxlength: String(MAX_REASON),
      "aria-label": "What was missing? (optional, please no personal details)",
      placeholder: "What was missing? (optional, no personal details)" });
    var reasonForm = el("form", { class: "reason", hidden: "" }, [reason,
      el("button", { type: "submit", class: "vote", text: "Send" })]);
    box.appendChild(el("span", { class: "vote-question", "aria-hidden": "true", text: "Was this helpful?" }));
    [yes, no, status, retry, reasonForm].forEach(function (n) { box.appendChild(n); });
    var view = { answerId: answerId, yes: yes, no: no, status: status, retry: retry, form: reasonForm,
      reason: reason };
    voteBoxes.push(view);
    yes.addEventListener("click", function () { vote(answerId, true, ""); });
    no.addEventListener("click", function () { vote(answerId, false, ""); });
    retry.addEventListener("click", function () { var v = state.votes[answerId]; if (v) vote(answerId, v.helpful, v.reason); });
    reasonForm.addEventListener("submit", function (event) {
      event.preventDefault();
      vote(answerId, false, reason.value.trim().slice(0, MAX_REASON));
    });
    showVote(view);
    return box;
  }
  function showVote(view) {
    var v = state.votes[view.answerId];
    view.yes.setAttribute("aria-pressed", String(!!v && v.helpful === true));
    view.no.setAttribute("aria-pressed", String(!!v && v.helpful === false));
    view.form.hidden = !(v && v.helpful === false && !v.reason);
    view.retry.hidden = !(v && v.status === "failed");
    view.status.textContent = !v ? "" : v.status === "failed" ? "Your feedback was not sent." :
      v.status === "sending" ? "" : v.reason ? "Thank you, your comment was sent." : "Thank you for your feedback.";
  }
  function vote(answerId, helpful, reason) {
    var v = { helpful: helpful, reason: reason || "", status: "sending" };
    state.votes[answerId] = v;
    save();
    voteBoxes.forEach(function (view) { if (view.answerId === answerId) showVote(view); });
    var sender = state.sender;
    fetch(SERVER + "/webhooks/rest/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, answer_id: answerId, helpful: helpful, reason: v.reason || null }),
    }).then(function (response) { v.status = response.ok ? "sent" : "failed"; })
      .catch(function () { v.status = "failed"; })
      .then(function () {
        if (state.sender !== sender || state.votes[answerId] !== v) return;  // started over, or voted again
        save();
        voteBoxes.forEach(function (view) { if (view.answerId === answerId) showVote(view); });
      });
  }

  /* A reply is a list of messages; a text and the custom payload after it share one bubble. */
  function renderReply(messages) {
    for (var i = 0; i < messages.length; i++) {
      var m = messages[i], next = messages[i + 1];
      if (!m.custom && next && next.custom) {
        i++;
        // Shown from /widget/config at the top already; without that configuration, the server's own is shown.
        if (next.custom.kind === "disclaimer" && config.disclaimer) continue;
        var hadButtons = !!(m.buttons && m.buttons.length);
        renderBot(Object.assign({ hadButtons: hadButtons }, next), renderBot(m, null));
      } else if (!(m.custom && m.custom.kind === "disclaimer")) {
        renderBot(m, null);
      }
    }
  }

  function renderError(retryText, display) {
    var node = bubble("bot", "error");
    node.setAttribute("role", "alert");
    node.appendChild(el("p", { text: "Sorry, I can't reach the assistant right now. Please try again, or call " +
      config.clinic + ". In an emergency, call " + config.emergency_number + "." }));
    var retry = el("button", { type: "button", class: "choice", text: "Retry" });
    retry.addEventListener("click", function () {
      if (busy) return;
      node.remove();
      ask(retryText, display, true);
    });
    node.appendChild(retry);
    return node;
  }

  function renderDisclaimer() {
    if (!config.disclaimer) return;
    var node = bubble("bot", "kind-disclaimer");
    node.appendChild(el("p", { text: config.disclaimer }));
  }

  function renderAll() {
    replaying = true;
    log.setAttribute("aria-live", "off");  // the old conversation is there to read, not to be announced again
    log.textContent = "";
    voteBoxes = [];
    renderDisclaimer();
    state.history.forEach(function (entry) {
      if (entry.user) renderUser(entry.user);
      else if (entry.bot) renderReply(entry.bot);
    });
    replaying = false;
    setTimeout(function () { log.setAttribute("aria-live", "polite"); }, 0);
    scrollDown();
  }

  // ---- talking to the server -----------------------------------------------------------------------
  function ask(message, display, isRetry) {
    if (busy) return;
    busy = true;
    var mine = generation;
    var shown = display || message;
    if (!isRetry) {
      state.history.push({ user: shown });
      save();
      renderUser(shown);
    }
    lastSent = message;
    typing.hidden = false;
    send.disabled = true;
    scrollDown();
    var controller = window.AbortController ? new AbortController() : null;
    inFlight = controller;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    fetch(SERVER + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: message }),
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      // 429 carries the server's polite "please wait" reply: show it like any other.
      if (!response.ok && response.status !== 429) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (messages) {
      if (mine !== generation) return;  // the patient started over meanwhile
      if (!Array.isArray(messages)) throw new Error("unexpected reply");
      state.history.push({ bot: messages });
      save();
      renderReply(messages);
    }).catch(function () {
      if (mine === generation) renderError(message, shown);
    }).then(function () {
      clearTimeout(timer);
      if (mine !== generation) return;
      busy = false;
      typing.hidden = true;
      send.disabled = false;
      scrollDown();
    });
  }

  function open() {
    panel.setAttribute("aria-modal", phone.matches ? "true" : "false");  // on a phone it covers the page
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    state.open = true;
    save();
    scrollDown();
    input.focus();
  }
  function shut() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); shut(); }
    if (event.key === "Tab" && phone.matches) keepFocusInside(event);
  });
  // Full screen on a phone, the panel is modal: Tab and Shift+Tab cycle through its controls only.
  function keepFocusInside(event) {
    var items = Array.prototype.filter.call(
      panel.querySelectorAll("button, textarea, a[href], [tabindex='0'], summary"),
      function (e) { return !e.disabled && e.offsetParent !== null; });
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1], here = root.activeElement;
    if (event.shiftKey && (here === first || !panel.contains(here))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (here === last || !panel.contains(here))) { event.preventDefault(); first.focus(); }
  }
  restart.addEventListener("click", function () {
    generation++;
    if (inFlight) inFlight.abort();
    busy = false;
    typing.hidden = true;
    send.disabled = false;
    state = { sender: newSender(), history: [], open: true, votes: {} };
    save();
    renderAll();
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || send.disabled) return;
    input.value = "";
    ask(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit ? form.requestSubmit() : send.click(); }
  });

  function start() {
    document.body.appendChild(host);
    fetch(SERVER + "/widget/config").then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; })
      .then(function (received) {
        Object.keys(received || {}).forEach(function (k) { if (typeof received[k] === "string") config[k] = received[k]; });
        title.textContent = "Questions for " + config.clinic;
        renderAll();
        if (state.open) open();
      });
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
