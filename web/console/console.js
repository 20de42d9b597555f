/* Carrefour agent console: the agent types what a caller says and gets where to transfer the call.
 *
 * Every label comes from /console/i18n.json (knowledge/console-page.yml); every piece of data
 * is written with textContent, never parsed as HTML. The page runs under a strict CSP, so
 * nothing here relies on inline script or style.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "carrefour.console.token"; // sessionStorage: the token dies with the tab
  var UI_KEY = "carrefour.console.ui";
  var API = "/api/referrals";
  var TIMEOUT_MS = 20000;
  var NOTICE_MS = 3000;

  var state = {
    labels: { en: {}, fr: {} },
    ui: "en",
    token: null,
    conversationId: null,
    question: null, // the caller's last words, sent again with a location the assistant asked for
    awaitingLocation: false,
    last: null, // the last answer, re-rendered when the interface language changes
    busy: false,
    noticeTimer: null
  };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, values) {
    var table = state.labels[state.ui] || {};
    var text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "";
    });
  }

  function el(tag, className, text, attributes) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (attributes) {
      Object.keys(attributes).forEach(function (name) {
        if (attributes[name] !== undefined && attributes[name] !== null) node.setAttribute(name, attributes[name]);
      });
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* Labels and interface language */

  function applyLabels() {
    document.documentElement.lang = state.ui;
    document.title = t("page_title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-ui-lang]"), function (button) {
      var lang = button.getAttribute("data-ui-lang");
      button.setAttribute("aria-pressed", String(lang === state.ui));
      button.setAttribute("aria-label", t("interface_" + lang));
    });
  }

  function setInterfaceLanguage(lang) {
    state.ui = lang;
    sessionStorage.setItem(UI_KEY, lang);
    applyLabels();
    if (state.last) render(state.last, false);
  }

  /* Sign-in */

  function showSignIn(message) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    resetCall();
    $("workspace").hidden = true;
    Array.prototype.forEach.call(document.querySelectorAll("[data-signed-in]"), function (node) {
      node.hidden = true;
    });
    $("signin").hidden = false;
    $("signin-error").textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  function showWorkspace() {
    $("signin").hidden = true;
    $("signin-error").textContent = "";
    $("workspace").hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll("[data-signed-in]"), function (node) {
      node.hidden = false;
    });
    $("caller-says").focus();
  }

  function signIn(event) {
    event.preventDefault();
    var token = $("token").value.trim();
    if (!token) {
      $("signin-error").textContent = t("signin_empty");
      $("token").focus();
      return;
    }
    $("signin-error").textContent = t("signin_checking");
    // An empty body is refused (400) after the token is checked (401), so the token is
    // verified without asking the assistant anything.
    call(token, {})
      .then(function (reply) {
        if (reply.status === 401) {
          showSignIn(t("signin_rejected"));
        } else if (reply.status === 400) {
          state.token = token;
          sessionStorage.setItem(TOKEN_KEY, token);
          showWorkspace();
        } else {
          $("signin-error").textContent = errorText(reply);
          $("token").focus();
        }
      })
      .catch(function () {
        $("signin-error").textContent = t("error_network");
      });
  }

  function signOut() {
    showSignIn("");
  }

  /* The API */

  function call(token, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) clearTimeout(timer);
      return response.json().then(
        function (data) { return { status: response.status, ok: response.ok, data: data }; },
        function () { return { status: response.status, ok: response.ok, data: null }; }
      );
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  function errorText(reply) {
    var reason = reply.data && typeof reply.data.error === "string" ? reply.data.error : "";
    return t("error", { status: reply.status, reason: reason });
  }

  function callerLanguage() {
    var checked = document.querySelector('input[name="caller-language"]:checked');
    return checked ? checked.value : "en";
  }

  function setCallerLanguage(lang) {
    Array.prototype.forEach.call(document.querySelectorAll('input[name="caller-language"]'), function (radio) {
      radio.checked = radio.value === lang;
    });
  }

  function ask(text) {
    if (state.busy) return;
    var location = $("location").value.trim();
    var body = { text: text, language: callerLanguage() };
    if (location) body.location = location;
    if (state.conversationId) body.conversation_id = state.conversationId;
    state.busy = true;
    $("form-error").textContent = "";
    $("result").setAttribute("aria-busy", "true");
    $("elapsed").textContent = t("working");
    call(state.token, body)
      .then(function (reply) {
        if (reply.status === 401) {
          showSignIn(t("signin_rejected"));
          return;
        }
        if (!reply.ok || !reply.data) {
          $("elapsed").textContent = "";
          $("form-error").textContent = errorText(reply);
          return;
        }
        state.conversationId = reply.data.conversation_id;
        $("caller-says").value = "";
        render(reply.data, true);
      })
      .catch(function () {
        $("elapsed").textContent = "";
        $("form-error").textContent = t("error_network");
      })
      .then(function () {
        state.busy = false;
        $("result").setAttribute("aria-busy", "false");
      });
  }

  function submitCall(event) {
    if (event) event.preventDefault();
    var text = $("caller-says").value.trim();
    // When the assistant asked where the caller lives, the place goes with the caller's
    // question again: the assistant then answers the question, not just the place.
    if (!text && state.awaitingLocation) text = state.question || $("location").value.trim();
    if (!text) {
      $("form-error").textContent = t("error_empty");
      $("caller-says").focus();
      return;
    }
    state.question = text;
    ask(text);
  }

  /* Rendering an answer */

  function render(data, moveFocus) {
    state.last = data;
    var body = $("result-body");
    clear(body);
    var card = data.card;
    var lang = data.language === "fr" ? "fr" : "en";
    state.awaitingLocation = false;
    $("result").classList.toggle("result--emergency", Boolean(card && card.kind === "emergency"));
    if (card) {
      $("result-heading").textContent = headingFor(card);
      body.appendChild(renderCard(card, lang));
    } else {
      $("result-heading").textContent = t("result_question");
      body.appendChild(renderMessages(data.messages || [], lang));
    }
    $("elapsed").textContent = typeof data.elapsed_ms === "number" ? t("elapsed", { ms: data.elapsed_ms }) : "";
    if (!moveFocus) return;
    if (state.awaitingLocation) {
      $("location").focus();
    } else {
      // Focus goes to the answer's heading: a screen reader reads it once, and Tab reaches
      // the copy buttons or the choices at once; Alt+C and Alt+N work from anywhere.
      $("result-heading").focus();
    }
  }

  function headingFor(card) {
    if (card.kind === "referral") return t("kind_referral") + ": " + (card.service || "");
    return t("kind_" + card.kind);
  }

  function renderMessages(messages, lang) {
    var wrapper = el("div", "question");
    messages.forEach(function (message) {
      var custom = message.custom || {};
      if (message.text) wrapper.appendChild(el("p", "question__text", message.text, { lang: lang }));
      if (custom.type === "ask" && custom.slot === "location") {
        state.awaitingLocation = true;
        wrapper.appendChild(el("p", "message message--info", t("ask_location")));
      }
      // The same choices come as buttons and as a choices payload; either alone is enough.
      var buttons = message.buttons && message.buttons.length ? message.buttons
        : custom.type === "choices" && custom.options ? custom.options : [];
      if (buttons.length) {
        wrapper.appendChild(el("p", "question__hint", t("choices_hint")));
        var list = el("ul", "choices");
        buttons.forEach(function (choice) {
          var item = el("li");
          var button = el("button", "button choice", choice.title, { type: "button", lang: lang });
          button.addEventListener("click", function () {
            ask(choice.payload || choice.title);
          });
          item.appendChild(button);
          list.appendChild(item);
        });
        wrapper.appendChild(list);
      }
    });
    return wrapper;
  }

  function fact(list, label, value, lang, className) {
    if (value === undefined || value === null || value === "") return null;
    var dt = el("dt", null, label);
    var dd = el("dd", className || null);
    if (value instanceof Node) dd.appendChild(value);
    else {
      dd.textContent = value;
      if (lang) dd.setAttribute("lang", lang);
    }
    list.appendChild(dt);
    list.appendChild(dd);
    return dd;
  }

  function copyButton(label, getText) {
    var button = el("button", "button button--copy", null, { type: "button" });
    button.appendChild(document.createTextNode(label));
    button.addEventListener("click", function () { copy(getText()); });
    return button;
  }

  function openStatus(transfer, lang) {
    var now = transfer.open_now === true ? "open" : transfer.open_now === false ? "closed" : "unknown";
    var box = el("span", "open open--" + now);
    // The status already says open or closed, with until when: shown instead of the bare word.
    if (transfer.status) box.appendChild(el("span", "open__word", transfer.status, { lang: lang }));
    else box.appendChild(el("span", "open__word", t(now === "unknown" ? "open_unknown" : now)));
    return box;
  }

  function renderTransfer(transfer, lang, kind) {
    var section = el("section", "transfer" + (kind === "emergency" ? " transfer--emergency" : ""));
    section.appendChild(el("h3", "transfer__label", t("transfer_to")));
    var row = el("div", "transfer__row");
    row.appendChild(el("p", "transfer__number", transfer.display || transfer.number, { id: "transfer-number" }));
    var actions = el("div", "transfer__actions");
    var copyNumber = copyButton(t("copy_number"), function () { return transfer.display || transfer.number; });
    copyNumber.id = "copy-number";
    copyNumber.setAttribute("aria-keyshortcuts", "Alt+C");
    copyNumber.appendChild(document.createTextNode(" "));
    copyNumber.appendChild(el("kbd", null, "Alt+C"));
    actions.appendChild(copyNumber);
    var dial = el("a", "button button--quiet", t("dial", { number: transfer.display || transfer.number }), {
      href: "tel:" + String(transfer.number || "").replace(/[^0-9+]/g, "")
    });
    actions.appendChild(dial);
    row.appendChild(actions);
    section.appendChild(row);
    var facts = el("dl", "facts");
    fact(facts, t("tty"), transfer.tty ? transfer.tty.replace(/^\+/, "") : null);
    if (kind !== "emergency") {
      var hours = fact(facts, t("hours"), transfer.hours || t("hours_unknown"), transfer.hours ? lang : null);
      if (!transfer.hours) hours.className = "unknown";
    }
    fact(facts, t("now"), openStatus(transfer, lang));
    section.appendChild(facts);
    return section;
  }

  function renderScript(script, lang) {
    var section = el("section", "script");
    var head = el("div", "script__head");
    head.appendChild(el("h3", null, t("script")));
    head.appendChild(copyButton(t("copy_script"), function () { return script; }));
    section.appendChild(head);
    section.appendChild(el("p", "script__text", script, { lang: lang, id: "transfer-script" }));
    section.appendChild(el("p", "hint", t("script_language", { language: t("caller_" + lang) })));
    return section;
  }

  function renderCard(card, lang) {
    var article = el("article", "card card--" + card.kind, null, { "data-kind": card.kind });
    if (card.kind === "referral") {
      var who = el("div", "who");
      who.appendChild(el("p", "who__order", card.order_label, { lang: lang }));
      who.appendChild(el("p", "who__government", card.government, { lang: lang }));
      if (card.organization) who.appendChild(el("p", "who__organization", card.organization, { lang: lang }));
      article.appendChild(who);
      var about = el("dl", "facts");
      fact(about, t("service"), card.service, lang);
      fact(about, t("why"), card.why, lang);
      article.appendChild(about);
    } else if (card.kind === "emergency") {
      article.setAttribute("role", "alert");
    } else if (card.organization) {
      var org = el("dl", "facts");
      fact(org, t("organization"), card.organization, lang, "strong");
      article.appendChild(org);
    }
    if (card.transfer && (card.transfer.number || card.transfer.display)) {
      article.appendChild(renderTransfer(card.transfer, lang, card.kind));
    } else if (card.kind === "referral") {
      article.appendChild(el("p", "message message--info", t("no_number")));
    }
    if (card.transfer_is_general_line && card.transfer) {
      article.appendChild(el("p", "message message--info", t("general_line")));
    }
    if (card.kind === "referral") {
      var ready = el("section", "ready");
      if (card.documents && card.documents.length) {
        ready.appendChild(el("h3", null, t("documents")));
        var list = el("ul", "documents", null, { lang: lang });
        card.documents.forEach(function (doc) { list.appendChild(el("li", null, doc)); });
        ready.appendChild(list);
      }
      var more = el("dl", "facts");
      fact(more, t("processing_time"), card.processing_time, lang);
      if (card.online) {
        fact(more, t("online"), el("a", null, card.online, { href: card.online, target: "_blank", rel: "noopener noreferrer" }));
      }
      if (more.firstChild) ready.appendChild(more);
      if (ready.firstChild) article.appendChild(ready);
    }
    if (card.script) article.appendChild(renderScript(card.script, lang));
    return article;
  }

  /* Copying */

  function copy(text) {
    if (!text) return;
    var done = function () { notice(t("copied")); };
    var failed = function () {
      if (fallbackCopy(text)) done();
      else notice(t("copy_failed"));
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  }

  function fallbackCopy(text) {
    var active = document.activeElement;
    var area = el("textarea", "offscreen", null, { "aria-hidden": "true", tabindex: "-1", readonly: "" });
    area.value = text;
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    if (active && typeof active.focus === "function") active.focus();
    return copied;
  }

  function notice(text) {
    var node = $("notice");
    node.textContent = text;
    if (state.noticeTimer) clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(function () { node.textContent = ""; }, NOTICE_MS);
  }

  function copyNumber() {
    var card = state.last && state.last.card;
    if (card && card.transfer) copy(card.transfer.display || card.transfer.number);
  }

  /* New caller */

  function resetCall() {
    state.conversationId = null;
    state.question = null;
    state.awaitingLocation = false;
    state.last = null;
    $("caller-says").value = "";
    $("location").value = "";
    $("form-error").textContent = "";
    $("elapsed").textContent = "";
    $("notice").textContent = "";
    setCallerLanguage(state.ui);
    var body = $("result-body");
    clear(body);
    body.appendChild(el("p", "hint", t("result_empty"), { "data-i18n": "result_empty" }));
    $("result-heading").textContent = t("result_heading");
    $("result").classList.remove("result--emergency");
  }

  function newCaller() {
    resetCall();
    $("caller-says").focus();
  }

  /* Keyboard */

  function onKeyDown(event) {
    if (!state.token || !event.altKey || event.ctrlKey || event.metaKey) return;
    // event.code, not event.key: Alt+letter types another character on some layouts.
    if (event.code === "KeyC") {
      event.preventDefault();
      copyNumber();
    } else if (event.code === "KeyL") {
      event.preventDefault();
      setCallerLanguage(callerLanguage() === "en" ? "fr" : "en");
      var checked = document.querySelector('input[name="caller-language"]:checked');
      notice(checked && checked.parentNode ? checked.parentNode.textContent.trim() : "");
    } else if (event.code === "KeyN") {
      event.preventDefault();
      newCaller();
    }
  }

  function onTextareaKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitCall();
    }
  }

  function onResultKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      $("caller-says").focus();
    }
  }

  /* Start */

  function start() {
    var stored = sessionStorage.getItem(UI_KEY);
    if (stored === "en" || stored === "fr") state.ui = stored;
    $("signin-form").addEventListener("submit", signIn);
    $("call-form").addEventListener("submit", submitCall);
    $("caller-says").addEventListener("keydown", onTextareaKey);
    $("result").addEventListener("keydown", onResultKey);
    $("new-caller").addEventListener("click", newCaller);
    $("sign-out").addEventListener("click", signOut);
    Array.prototype.forEach.call(document.querySelectorAll("[data-ui-lang]"), function (button) {
      button.addEventListener("click", function () { setInterfaceLanguage(button.getAttribute("data-ui-lang")); });
    });
    document.addEventListener("keydown", onKeyDown);
    fetch("/console/i18n.json", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (labels) { if (labels) state.labels = labels; })
      .catch(function () { /* the keys stay visible: better than an empty page */ })
      .then(function () {
        applyLabels();
        var token = sessionStorage.getItem(TOKEN_KEY);
        if (token) {
          state.token = token;
          resetCall();
          showWorkspace();
        } else {
          showSignIn("");
        }
        document.body.setAttribute("data-ready", "true");
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
