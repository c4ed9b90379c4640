/*
 * newsrag chat widget: answers about news articles with numbered, quoted citations.
 *
 *   <script src="http://HOST:8000/widget.js" data-embed-key="KEY" async></script>
 *
 * Optional attributes: data-title="Ask the news", data-position="bottom-right|bottom-left",
 * data-theme="light|dark", and data-since / data-until to answer only from articles published
 * in that range (inclusive; undated articles are then left out): an ISO date "2024-11-01",
 * or "-30d" for 30 days before today on the visitor's clock, e.g. data-since="-7d" for a page
 * that should only see the last week's news. The API base URL is taken from this script's
 * own src. Requests carry the key in the X-Embed-Key header; the server checks it against the
 * page's Origin.
 *
 * Everything lives in an open Shadow DOM so the page's CSS does not leak in and ours does
 * not leak out. Every piece of text from the server is set with textContent or text nodes,
 * never parsed as HTML. Plain JavaScript, no build step, no dependencies.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector("script[data-embed-key][src*='widget.js']");
  if (!script || !script.src) return;

  var EMBED_KEY = script.getAttribute("data-embed-key") || "";
  var TITLE = script.getAttribute("data-title") || "Ask the news";
  var POSITION = script.getAttribute("data-position") === "bottom-left" ? "bottom-left" : "bottom-right";
  var THEME = script.getAttribute("data-theme") === "dark" ? "dark" : "light";
  var SINCE = dateAttribute("data-since");
  var UNTIL = dateAttribute("data-until");
  var API_BASE = new URL(".", script.src).href; // ends with "/"
  var STORE_KEY = "newsrag:" + API_BASE + ":" + EMBED_KEY;
  var HISTORY_TURNS = 6;

  // An ISO date as given, "-Nd" as the date N days before today (local clock), else as given
  // (the server answers a malformed date with a clear 422, which the panel shows).
  function dateAttribute(name) {
    var raw = (script.getAttribute(name) || "").trim();
    if (!raw) return null;
    var relative = /^-(\d{1,5})d$/.exec(raw);
    if (!relative) return raw;
    var day = new Date();
    day.setDate(day.getDate() - parseInt(relative[1], 10));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return day.getFullYear() + "-" + pad(day.getMonth() + 1) + "-" + pad(day.getDate());
  }
  var KEPT_MESSAGES = 40;

  var CSS = [
    ":host{all:initial}",
    ".nr-root{--bg:#ffffff;--fg:#1b1f24;--muted:#59636e;--line:#d5dbe1;--accent:#0b5cad;",
    "--accent-fg:#ffffff;--bubble:#eef3f8;--user:#0b5cad;--user-fg:#ffffff;--card:#f7f9fb;",
    "--error:#a4000f;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
    "color:var(--fg);position:fixed;bottom:20px;z-index:2147483000}",
    ".nr-root.theme-dark{--bg:#16191d;--fg:#e8ebee;--muted:#a3acb6;--line:#333a42;",
    "--accent:#5aa9ff;--accent-fg:#0b1118;--bubble:#22272e;--user:#2f6fb5;--user-fg:#ffffff;",
    "--card:#1d2227;--error:#ff8a8a}",
    ".nr-root.pos-bottom-right{right:20px}.nr-root.pos-bottom-left{left:20px}",
    ".nr-root *{box-sizing:border-box}",
    "button{font:inherit;cursor:pointer}",
    ".nr-launcher{display:flex;align-items:center;gap:8px;border:0;border-radius:999px;",
    "padding:12px 18px;background:var(--accent);color:var(--accent-fg);font-weight:600;",
    "box-shadow:0 4px 16px rgba(0,0,0,.25)}",
    ".nr-launcher svg{width:20px;height:20px;fill:currentColor}",
    ".nr-launcher:focus-visible,.nr-panel button:focus-visible,.nr-input:focus-visible{",
    "outline:3px solid #f5a623;outline-offset:2px}",
    ".nr-panel{position:fixed;bottom:84px;width:380px;max-width:calc(100vw - 40px);",
    "height:560px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;",
    "background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:14px;",
    "box-shadow:0 12px 40px rgba(0,0,0,.28);overflow:hidden}",
    ".pos-bottom-right .nr-panel{right:20px}.pos-bottom-left .nr-panel{left:20px}",
    ".nr-panel[hidden]{display:none}",
    ".nr-head{display:flex;align-items:center;gap:6px;padding:10px 12px;",
    "border-bottom:1px solid var(--line)}",
    ".nr-head h2{flex:1;margin:0;font-size:16px;font-weight:650}",
    ".nr-head button{border:0;background:transparent;color:var(--fg);border-radius:8px;",
    "padding:4px 8px;font-size:14px}",
    ".nr-head .nr-close{font-size:22px;line-height:1}",
    ".nr-head button:hover{background:var(--bubble)}",
    ".nr-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".nr-empty{color:var(--muted);margin:auto 0;text-align:center;font-size:14px}",
    ".nr-msg{max-width:92%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;",
    "overflow-wrap:anywhere}",
    ".nr-user{align-self:flex-end;background:var(--user);color:var(--user-fg)}",
    ".nr-bot{align-self:flex-start;background:var(--bubble)}",
    ".nr-msg p{margin:0}",
    ".nr-bot.nr-refused .nr-text{color:var(--muted)}",
    ".nr-error{color:var(--error)}",
    ".nr-notice{margin-top:6px;font-size:13px;color:var(--muted)}",
    ".nr-cite{display:inline-block;min-width:1.6em;margin:0 2px;padding:0 5px;border:0;",
    "border-radius:999px;background:var(--accent);color:var(--accent-fg);font-size:12px;",
    "font-weight:700;line-height:1.5;vertical-align:1px}",
    ".nr-chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}",
    ".nr-chip{display:flex;gap:6px;align-items:center;max-width:100%;border:1px solid var(--line);",
    "border-radius:999px;background:var(--bg);color:var(--fg);padding:2px 10px 2px 3px;",
    "font-size:13px;text-align:left}",
    ".nr-chip .nr-num{flex:none;min-width:1.6em;border-radius:999px;background:var(--accent);",
    "color:var(--accent-fg);font-weight:700;text-align:center}",
    ".nr-chip .nr-chip-title{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".nr-chip[aria-expanded=true],.nr-cite[aria-expanded=true]{box-shadow:0 0 0 2px #f5a623}",
    ".nr-card{margin-top:8px;padding:10px;border:1px solid var(--line);border-radius:10px;",
    "background:var(--card);white-space:normal}",
    ".nr-card[hidden]{display:none}",
    ".nr-card blockquote{margin:0 0 8px;padding-left:10px;border-left:3px solid var(--accent);",
    "white-space:pre-wrap}",
    ".nr-meta{font-size:13px;color:var(--muted)}",
    ".nr-meta strong{color:var(--fg);display:block}",
    ".nr-meta a{color:var(--accent);overflow-wrap:anywhere}",
    ".nr-form{display:flex;gap:8px;padding:10px;border-top:1px solid var(--line)}",
    ".nr-input{flex:1;resize:none;min-height:40px;max-height:120px;padding:9px 10px;",
    "border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg);",
    "font:inherit}",
    ".nr-send{border:0;border-radius:10px;padding:0 16px;background:var(--accent);",
    "color:var(--accent-fg);font-weight:600}",
    ".nr-send:disabled{opacity:.55;cursor:progress}",
    ".nr-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);",
    "white-space:nowrap}",
    ".nr-typing{color:var(--muted)}",
    ".nr-rate{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px;",
    "font-size:13px;color:var(--muted);white-space:normal}",
    ".nr-rate-btn{display:inline-flex;align-items:center;border:1px solid var(--line);",
    "border-radius:999px;background:var(--bg);color:var(--fg);padding:3px 10px}",
    ".nr-rate-btn svg{width:16px;height:16px;fill:currentColor}",
    ".nr-rate-btn[aria-pressed=true]{background:var(--accent);border-color:var(--accent);",
    "color:var(--accent-fg)}",
    ".nr-rate-btn:disabled{opacity:.55;cursor:progress}",
    ".nr-comment{display:flex;gap:6px;width:100%}",
    ".nr-comment[hidden]{display:none}",
    ".nr-comment textarea{flex:1;resize:vertical;min-height:34px;max-height:120px;",
    "padding:5px 8px;border:1px solid var(--line);border-radius:8px;background:var(--bg);",
    "color:var(--fg);font:inherit;font-size:13px}",
    ".nr-comment button{border:0;border-radius:8px;padding:0 10px;background:var(--accent);",
    "color:var(--accent-fg);font-size:13px;font-weight:600}",
    ".nr-rate-status{width:100%}",
    ".nr-panel textarea:focus-visible{outline:3px solid #f5a623;outline-offset:1px}",
    "@media (max-width:480px){.nr-root{bottom:12px}",
    ".nr-root.pos-bottom-right{right:12px}.nr-root.pos-bottom-left{left:12px}",
    ".nr-panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0;",
    "border:0}.nr-root.open .nr-launcher{display:none}}"
  ].join("");

  // -- small DOM helpers: text only, never HTML ------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = String(value);
        else if (name === "className") node.className = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  // Material Design "thumb_up" / "thumb_down" (Apache 2.0): drawn, so no emoji font is needed.
  var THUMB_PATHS = {
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06" +
      "L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22" +
      "l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2" +
      "h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5" +
      "c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z"
  };

  function thumbIcon(direction) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB_PATHS[direction]);
    svg.appendChild(path);
    return svg;
  }

  function safeUrl(text) {
    try {
      var url = new URL(String(text));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // -- conversation kept for this browser tab ------------------------------------------

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* storage disabled or corrupt: start fresh */ }
    return { messages: [], open: false };
  }

  function saveState() {
    try {
      state.messages = state.messages.slice(-KEPT_MESSAGES);
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) { /* storage full or disabled: the conversation just is not kept */ }
  }

  var state = loadState();
  var cardCounter = 0;
  var busy = false;

  // -- the widget's DOM ----------------------------------------------------------------

  // A custom element name, so the page's `div { ... }` rules do not match the host, and an
  // important inline reset against the page's `* { ... !important }` rules.
  var host = el("newsrag-widget", { "data-newsrag-widget": "" });
  host.style.setProperty("all", "initial", "important");
  var shadow = host.attachShadow({ mode: "open" });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    shadow.appendChild(el("style", { text: CSS }));
  }

  var launcher = el("button", {
    className: "nr-launcher", type: "button", "aria-label": "Open chat: " + TITLE,
    "aria-expanded": "false", "aria-controls": "nr-panel", "aria-haspopup": "dialog"
  }, [chatIcon(), el("span", { text: TITLE })]);
  var closeButton = el("button", { className: "nr-close", type: "button", "aria-label": "Close chat", text: "\u00d7" });
  var clearButton = el("button", { className: "nr-clear", type: "button", "aria-label": "Start a new conversation", text: "New" });
  var heading = el("h2", { id: "nr-title", text: TITLE });
  var log = el("div", { className: "nr-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var input = el("textarea", {
    className: "nr-input", id: "nr-input", rows: "1", maxlength: "2000",
    placeholder: "Ask about the news\u2026", "aria-label": "Your question"
  });
  var sendButton = el("button", { className: "nr-send", type: "submit", "aria-label": "Send question", text: "Send" });
  var form = el("form", { className: "nr-form", "aria-label": "Ask a question" }, [input, sendButton]);
  var panel = el("section", {
    className: "nr-panel", id: "nr-panel", role: "dialog", "aria-labelledby": "nr-title", hidden: true
  }, [el("div", { className: "nr-head" }, [heading, clearButton, closeButton]), log, form]);
  var root = el("div", { className: "nr-root theme-" + THEME + " pos-" + POSITION }, [panel, launcher]);
  shadow.appendChild(root);

  // -- rendering -------------------------------------------------------------------------

  function renderEmpty() {
    if (!state.messages.length) {
      log.appendChild(el("p", {
        className: "nr-empty",
        text: "Ask a question about the news. Every answer cites the articles it comes from."
      }));
    }
  }

  function citationCard(citation, id) {
    var source = String(citation.source || "");
    var href = safeUrl(source);
    var sourceNode = href
      ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: source })
      : el("span", { text: source });
    var date = citation.published ? String(citation.published) : "undated";
    return el("div", {
      className: "nr-card", id: id, role: "region", hidden: true,
      "aria-label": "Source " + citation.n + ": " + citation.title
    }, [
      el("blockquote", { className: "nr-quote", text: citation.quote }),
      el("p", { className: "nr-meta" }, [
        el("strong", { className: "nr-source-title", text: citation.title }),
        el("span", { className: "nr-date", text: date }),
        " \u00b7 ",
        sourceNode
      ])
    ]);
  }

  function toggleCard(card, buttons) {
    var opening = card.hidden;
    var bubble = card.parentNode;
    Array.prototype.forEach.call(bubble.querySelectorAll(".nr-card"), function (other) {
      other.hidden = true;
    });
    Array.prototype.forEach.call(bubble.querySelectorAll("[aria-controls]"), function (b) {
      b.setAttribute("aria-expanded", "false");
    });
    card.hidden = !opening;
    buttons.forEach(function (b) { b.setAttribute("aria-expanded", opening ? "true" : "false"); });
  }

  function renderAnswer(bubble, answer) {
    while (bubble.firstChild) bubble.removeChild(bubble.firstChild);
    bubble.classList.toggle("nr-refused", !!answer.refused);
    var citations = Array.isArray(answer.citations) ? answer.citations : [];
    var byNumber = {};
    var cards = {};
    var buttons = {};
    citations.forEach(function (c) {
      byNumber[c.n] = c;
      cards[c.n] = citationCard(c, "nr-card-" + (++cardCounter));
      buttons[c.n] = [];
    });

    function citeButton(n, className, children, label) {
      var button = el("button", {
        className: className, type: "button", "aria-expanded": "false",
        "aria-controls": cards[n].id, "aria-label": label
      }, children);
      buttons[n].push(button);
      button.addEventListener("click", function () { toggleCard(cards[n], buttons[n]); });
      return button;
    }

    var text = el("p", { className: "nr-text" });
    String(answer.answer || "").split(/(\[\d+\])/).forEach(function (part) {
      var marker = /^\[(\d+)\]$/.exec(part);
      var n = marker ? Number(marker[1]) : null;
      if (n !== null && byNumber[n]) {
        text.appendChild(citeButton(n, "nr-cite", [String(n)], "Show source " + n));
      } else if (part) {
        text.appendChild(document.createTextNode(part));
      }
    });
    bubble.appendChild(text);
    if (answer.notice) bubble.appendChild(el("p", { className: "nr-notice", text: answer.notice }));
    if (citations.length) {
      var chips = el("div", { className: "nr-chips", role: "group", "aria-label": "Sources" });
      citations.forEach(function (c) {
        chips.appendChild(citeButton(c.n, "nr-chip", [
          el("span", { className: "nr-num", text: c.n }),
          el("span", { className: "nr-chip-title", text: c.title })
        ], "Source " + c.n + ": " + c.title + (c.published ? ", " + c.published : "")));
      });
      bubble.appendChild(chips);
      citations.forEach(function (c) { bubble.appendChild(cards[c.n]); });
    }
  }

  // Two rating buttons under an answer that has a log id; after a rating, an optional
  // comment. A second click changes the rating (the server keeps one per answer).
  function renderRating(bubble, message) {
    var answerId = message.answer && message.answer.id;
    if (!answerId) return;
    var status = el("span", { className: "nr-rate-status", role: "status" });
    var up = el("button", {
      className: "nr-rate-btn nr-rate-up", type: "button", "aria-label": "Good answer",
      "aria-pressed": message.rating === "up" ? "true" : "false", title: "Good answer"
    }, [thumbIcon("up")]);
    var down = el("button", {
      className: "nr-rate-btn nr-rate-down", type: "button", "aria-label": "Bad answer",
      "aria-pressed": message.rating === "down" ? "true" : "false", title: "Bad answer"
    }, [thumbIcon("down")]);
    var comment = el("textarea", {
      className: "nr-comment-input", rows: "1", maxlength: "2000",
      placeholder: "What was wrong or right? (optional)", "aria-label": "Comment on this answer (optional)"
    });
    comment.value = message.comment || "";
    var sendComment = el("button", { type: "button", className: "nr-comment-send", text: "Send", "aria-label": "Send comment" });
    var commentRow = el("div", { className: "nr-comment", hidden: !message.rating }, [comment, sendComment]);
    var row = el("div", { className: "nr-rate", role: "group", "aria-label": "Rate this answer" },
      [el("span", { text: "Was this answer right?" }), up, down, commentRow, status]);

    function send(rating, withComment) {
      var body = { answer_id: String(answerId), rating: rating };
      var text = comment.value.trim();
      if (withComment && text) body.comment = text.slice(0, 2000);
      up.disabled = down.disabled = sendComment.disabled = true;
      status.textContent = "";
      fetch(API_BASE + "api/feedback", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", "X-Embed-Key": EMBED_KEY },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return null; }).then(function (payload) {
            throw new Error(refusalMessage(response, payload));
          });
        }
        message.rating = rating;
        if (withComment) message.comment = body.comment || "";
        saveState();
        up.setAttribute("aria-pressed", rating === "up" ? "true" : "false");
        down.setAttribute("aria-pressed", rating === "down" ? "true" : "false");
        commentRow.hidden = false;
        status.textContent = withComment && body.comment
          ? "Thanks, your comment is saved."
          : "Thanks for rating this answer.";
      }, function (error) {
        throw error instanceof TypeError
          ? new Error("Could not reach the assistant to save your rating.")
          : error;
      }).catch(function (error) {
        status.textContent = String(error.message || "Your rating was not saved.");
      }).then(function () {
        up.disabled = down.disabled = sendComment.disabled = false;
      });
    }

    up.addEventListener("click", function () { send("up", !!message.comment); });
    down.addEventListener("click", function () { send("down", !!message.comment); });
    sendComment.addEventListener("click", function () {
      send(message.rating || "down", true);
    });
    comment.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send(message.rating || "down", true);
      }
    });
    bubble.appendChild(row);
  }

  function addMessage(message) {
    var empty = log.querySelector(".nr-empty");
    if (empty) log.removeChild(empty);
    var bubble = el("div", { className: "nr-msg " + (message.role === "user" ? "nr-user" : "nr-bot") });
    if (message.role === "user") bubble.appendChild(el("p", { text: message.content }));
    else if (message.error) {
      bubble.classList.add("nr-error");
      bubble.setAttribute("role", "alert");
      bubble.appendChild(el("p", { text: message.content }));
    } else if (message.answer) {
      renderAnswer(bubble, message.answer);
      renderRating(bubble, message);
    } else bubble.appendChild(el("p", { className: "nr-text", text: message.content }));
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    state.messages.forEach(addMessage);
    renderEmpty();
  }

  // -- talking to the API ----------------------------------------------------------------

  function refusalMessage(response, body) {
    if (response.status === 429) {
      var wait = Number(response.headers.get("Retry-After")) || 60;
      return "Too many questions from this page right now. Try again in " + wait + " s.";
    }
    if (response.status === 403) return "This page is not allowed to use this assistant.";
    var message = body && body.error && body.error.message;
    return message ? String(message) : "The assistant is unavailable (HTTP " + response.status + ").";
  }

  function parseEvent(block, handlers) {
    var event = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (!data.length) return;
    var payload = JSON.parse(data.join("\n"));
    if (handlers[event]) handlers[event](payload);
  }

  function requestBody(question, history) {
    var body = { question: question, history: history };
    if (SINCE) body.since = SINCE;
    if (UNTIL) body.until = UNTIL;
    return body;
  }

  function ask(question, history, onToken) {
    return fetch(API_BASE + "api/chat", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: {
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "X-Embed-Key": EMBED_KEY
      },
      body: JSON.stringify(requestBody(question, history))
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return null; }).then(function (body) {
          throw new Error(refusalMessage(response, body));
        });
      }
      var answer = null;
      var failure = null;
      var handlers = {
        token: function (payload) { onToken(String(payload.text || "")); },
        answer: function (payload) { answer = payload; },
        error: function (payload) {
          failure = (payload.error && payload.error.message) || "the answer failed";
        }
      };
      var buffer = "";
      function drain(final) {
        buffer = buffer.replace(/\r\n?/g, "\n");
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          parseEvent(buffer.slice(0, cut), handlers);
          buffer = buffer.slice(cut + 2);
        }
        if (final && buffer.trim()) parseEvent(buffer, handlers);
      }
      function finish() {
        if (failure) throw new Error(String(failure));
        if (!answer) throw new Error("The answer was cut off. Please try again.");
        return answer;
      }
      if (!response.body || !response.body.getReader) {
        return response.text().then(function (text) { buffer = text; drain(true); return finish(); });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) {
            buffer += decoder.decode();
            drain(true);
            return finish();
          }
          buffer += decoder.decode(chunk.value, { stream: true });
          drain(false);
          return pump();
        });
      }
      return pump();
    });
  }

  function historyForServer() {
    return state.messages
      .filter(function (m) { return !m.error; })
      .slice(-HISTORY_TURNS)
      .map(function (m) { return { role: m.role, content: String(m.content).slice(0, 2000) }; });
  }

  function submit() {
    var question = input.value.trim();
    if (!question || busy) return;
    busy = true;
    sendButton.disabled = true;
    log.setAttribute("aria-busy", "true");
    var history = historyForServer();
    var userMessage = { role: "user", content: question };
    state.messages.push(userMessage);
    addMessage(userMessage);
    input.value = "";
    var bubble = addMessage({ role: "assistant", content: "" });
    var text = bubble.querySelector(".nr-text");
    var typing = el("span", { className: "nr-typing", text: "Looking through the articles\u2026" });
    text.appendChild(typing);
    var streamed = document.createTextNode("");
    ask(question, history, function (token) {
      if (typing.parentNode) { text.removeChild(typing); text.appendChild(streamed); }
      streamed.appendData(token);
      log.scrollTop = log.scrollHeight;
    }).then(function (answer) {
      var message = { role: "assistant", content: String(answer.answer || ""), answer: answer };
      state.messages.push(message);
      renderAnswer(bubble, answer);
      renderRating(bubble, message);
    }, function (error) {
      // fetch rejects with a TypeError when the server is unreachable or CORS refuses the page.
      var text = error instanceof TypeError
        ? "Could not reach the assistant from this page. Please try again later."
        : error.message || "Something went wrong.";
      var message = { role: "assistant", content: text, error: true };
      state.messages.push(message);
      log.removeChild(bubble);
      addMessage(message);
    }).then(function () {
      saveState();
      busy = false;
      sendButton.disabled = false;
      log.removeAttribute("aria-busy");
      log.scrollTop = log.scrollHeight;
      input.focus();
    });
  }

  // -- opening, closing, keyboard ----------------------------------------------------------

  function setOpen(open, focusAfter) {
    panel.hidden = !open;
    root.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    launcher.setAttribute("aria-label", (open ? "Close chat: " : "Open chat: ") + TITLE);
    state.open = open;
    saveState();
    if (!focusAfter) return;
    if (open) {
      log.scrollTop = log.scrollHeight;
      input.focus();
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
  closeButton.addEventListener("click", function () { setOpen(false, true); });
  clearButton.addEventListener("click", function () {
    if (busy) return;
    state.messages = [];
    saveState();
    renderAll();
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      setOpen(false, true);
    }
  });

  function mount() {
    document.body.appendChild(host);
    renderAll();
    if (state.open) setOpen(true, false);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
