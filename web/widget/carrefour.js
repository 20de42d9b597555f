/*
 * Carrefour web chat widget: one script tag on a government page.
 *
 *   <script src="https://server/widget/carrefour.js" data-server="https://server"
 *           data-lang="fr" data-title="..." data-location="Ottawa" data-open="true" defer></script>
 *
 * No framework and no build step. Every label comes from the server's
 * /widget/i18n.json (the knowledge base), and every message is built with
 * createElement/textContent: text from the knowledge base or from a citizen
 * never becomes HTML.
 */
(function () {
  "use strict";

  if (window.Carrefour) {
    return; // the script was included twice
  }
  // The only global: lets the host page open or close the assistant (e.g. from a "Need help?" link).
  window.Carrefour = {
    open: function () {
      if (ui.panel) open(true);
    },
    close: function () {
      if (ui.panel) close(true);
    },
  };

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll("script[src*='carrefour.js']");
    script = candidates[candidates.length - 1];
  }
  var scriptUrl = new URL(script.src, document.baseURI);
  var server = (script.getAttribute("data-server") || scriptUrl.origin).replace(/\/+$/, "");
  var options = {
    lang: pickLang(script.getAttribute("data-lang") || document.documentElement.lang),
    title: script.getAttribute("data-title") || "",
    location: script.getAttribute("data-location") || "",
    open: script.getAttribute("data-open") === "true",
  };
  var STORE = "carrefour.widget";
  var ROOT_CLASS = "carrefour-widget";
  var ORDERS = ["federal", "provincial", "territorial", "municipal"];

  var texts = null; // {en: {...}, fr: {...}} from the server
  var ui = {};
  var socket = null;
  var state = loadState();
  var pending = []; // messages typed before the connection was ready
  var sessionReady = false;

  function pickLang(value) {
    return String(value || "").toLowerCase().slice(0, 2) === "fr" ? "fr" : "en";
  }

  function otherLang(lang) {
    return lang === "fr" ? "en" : "fr";
  }

  // ---- state kept for this tab: a reload continues the same conversation ----

  function loadState() {
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STORE) || "null");
    } catch (e) {
      saved = null;
    }
    if (!saved || typeof saved !== "object" || !Array.isArray(saved.history)) {
      saved = { sessionId: null, lang: null, open: false, history: [] };
    }
    return saved;
  }

  function saveState() {
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify(state));
    } catch (e) {
      // Private browsing or a full store: the conversation still works, it just won't survive a reload.
    }
  }

  function newSessionId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function lang() {
    return state.lang || options.lang;
  }

  function t(name, lng) {
    var table = texts[lng || lang()] || {};
    return table[name] || texts.en[name] || "";
  }

  // ---- DOM helpers (textContent only) ----

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (key === "class") {
          node.className = value;
        } else if (key === "text") {
          node.textContent = value;
        } else {
          node.setAttribute(key, value === true ? "" : String(value));
        }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === "") {
        return;
      }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value), server + "/");
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function telHref(number) {
    var digits = String(number).replace(/[^0-9+]/g, "");
    return digits ? "tel:" + digits : null;
  }

  function phoneText(number) {
    var s = String(number);
    return s.charAt(0) === "+" ? s.slice(1) : s;
  }

  function telLink(number, className, label) {
    var href = telHref(number);
    if (!href) {
      return document.createTextNode(phoneText(number));
    }
    return el("a", { href: href, class: className || null }, [label || phoneText(number)]);
  }

  function externalLink(url, text, className) {
    var href = safeUrl(url);
    if (!href) {
      return document.createTextNode(text);
    }
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", class: className || null }, [
      text,
      el("span", { class: "cf-sr-only", text: " " + t("new_tab") }),
    ]);
  }

  function siteLink(url, lng) {
    // "Go to the page on canada.ca": says where the link goes without a long address.
    var site;
    try {
      site = new URL(url).hostname.replace(/^www\./, "");
    } catch (e) {
      site = String(url);
    }
    var text = fill(t("online_link", lng), { site: site })
      .map(function (n) {
        return n.textContent;
      })
      .join("");
    return externalLink(url, text, "cf-site");
  }

  function shortUrl(url) {
    try {
      var u = new URL(url);
      var path = u.pathname === "/" ? "" : u.pathname;
      var out = u.hostname.replace(/^www\./, "") + path;
      return out.length > 48 ? out.slice(0, 47) + "…" : out;
    } catch (e) {
      return String(url);
    }
  }

  // Text with URLs and phone numbers turned into links, built node by node.
  var LINKABLE = /(https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?»])|(\+?1[- ]\d{3}[- ]\d{3}[- ]\d{4}|\b\d{3}-\d{3}-\d{4}\b|\b(?:911|988)\b)/g;

  function richText(text) {
    var fragment = document.createDocumentFragment();
    var source = String(text || "");
    var last = 0;
    source.replace(LINKABLE, function (match, url, phone, offset) {
      fragment.appendChild(document.createTextNode(source.slice(last, offset)));
      if (url) {
        fragment.appendChild(externalLink(url, shortUrl(url)));
      } else {
        fragment.appendChild(telLink(phone, null, match));
      }
      last = offset + match.length;
      return match;
    });
    fragment.appendChild(document.createTextNode(source.slice(last)));
    return fragment;
  }

  function fill(template, values) {
    // Splits a label on its {placeholders} so that a value can be a link node.
    var parts = String(template).split(/(\{\w+\})/);
    return parts.map(function (part) {
      var m = /^\{(\w+)\}$/.exec(part);
      if (m && Object.prototype.hasOwnProperty.call(values, m[1])) {
        var value = values[m[1]];
        return typeof value === "string" ? document.createTextNode(value) : value;
      }
      return document.createTextNode(part);
    });
  }

  // ---- building the widget ----

  function loadCss() {
    var href = server + "/widget/carrefour.css";
    var exists = Array.prototype.some.call(document.querySelectorAll("link[rel=stylesheet]"), function (l) {
      return l.href === href;
    });
    if (!exists) {
      document.head.appendChild(el("link", { rel: "stylesheet", href: href }));
    }
  }

  function loadSocketIo() {
    return new Promise(function (resolve, reject) {
      var previousIo = window.io;
      // An AMD loader on the host page would capture the UMD bundle instead of a global.
      var previousDefine = window.define;
      if (typeof previousDefine === "function" && previousDefine.amd) {
        window.define = undefined;
      }
      var tag = el("script", { src: server + "/widget/socket.io.min.js", async: true });
      function restore() {
        if (previousDefine !== undefined) {
          window.define = previousDefine;
        }
      }
      tag.onload = function () {
        restore();
        var io = window.io;
        // Leave the page's own globals as they were.
        if (previousIo === undefined) {
          try {
            delete window.io;
          } catch (e) {
            window.io = undefined;
          }
        } else {
          window.io = previousIo;
        }
        if (typeof io === "function") {
          resolve(io);
        } else {
          reject(new Error("socket.io did not load"));
        }
      };
      tag.onerror = function () {
        restore();
        reject(new Error("socket.io did not load"));
      };
      document.head.appendChild(tag);
    });
  }

  function build() {
    var ids = "cf-" + Math.random().toString(36).slice(2, 8);
    ui.root = el("aside", { class: ROOT_CLASS, id: ids });
    ui.launcher = el("button", {
      type: "button",
      class: "cf-launcher",
      "aria-expanded": "false",
      "aria-controls": ids + "-panel",
    }, [el("span", { class: "cf-launcher-icon", "aria-hidden": "true" }), el("span", { class: "cf-launcher-text" })]);
    ui.title = el("h2", { class: "cf-title", id: ids + "-title" });
    ui.langButton = el("button", { type: "button", class: "cf-lang", "aria-describedby": ids + "-langhint" });
    ui.langHint = el("span", { class: "cf-sr-only", id: ids + "-langhint" });
    ui.closeButton = el("button", { type: "button", class: "cf-close" }, [
      el("span", { "aria-hidden": "true", text: "×" }),
      el("span", { class: "cf-sr-only" }),
    ]);
    ui.status = el("div", { class: "cf-status", role: "status" });
    ui.log = el("div", {
      class: "cf-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      tabindex: "0",
      id: ids + "-log",
    });
    ui.inputLabel = el("label", { class: "cf-label", for: ids + "-input" });
    ui.input = el("input", {
      type: "text",
      id: ids + "-input",
      class: "cf-input",
      autocomplete: "off",
      maxlength: "1000",
      enterkeyhint: "send",
    });
    ui.send = el("button", { type: "submit", class: "cf-send" });
    ui.privacy = el("p", { class: "cf-privacy", id: ids + "-privacy" });
    ui.input.setAttribute("aria-describedby", ids + "-privacy");
    ui.form = el("form", { class: "cf-form", novalidate: true }, [
      ui.inputLabel,
      el("div", { class: "cf-form-row" }, [ui.input, ui.send]),
      ui.privacy,
    ]);
    ui.panel = el("div", {
      class: "cf-panel",
      id: ids + "-panel",
      role: "region",
      "aria-labelledby": ids + "-title",
      hidden: true,
    }, [
      el("div", { class: "cf-header" }, [
        ui.title,
        el("div", { class: "cf-header-actions" }, [ui.langButton, ui.langHint, ui.closeButton]),
      ]),
      ui.status,
      ui.log,
      ui.form,
    ]);
    ui.root.appendChild(ui.launcher);
    ui.root.appendChild(ui.panel);

    ui.launcher.addEventListener("click", function () {
      open(true);
    });
    ui.closeButton.addEventListener("click", function () {
      close(true);
    });
    ui.langButton.addEventListener("click", function () {
      state.lang = otherLang(lang());
      saveState();
      applyLabels();
    });
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        event.preventDefault();
        close(true);
      }
    });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value.trim();
      if (!text) {
        ui.input.focus();
        return;
      }
      ui.input.value = "";
      sendMessage(text, text);
      ui.input.focus();
    });
    document.body.appendChild(ui.root);
  }

  function applyLabels() {
    var lng = lang();
    ui.root.setAttribute("lang", lng);
    ui.root.setAttribute("aria-label", t("region"));
    ui.launcher.querySelector(".cf-launcher-text").textContent = t("launcher");
    ui.title.textContent = options.title || t("title");
    ui.langButton.textContent = t("language_toggle");
    ui.langButton.setAttribute("lang", otherLang(lng));
    ui.langHint.textContent = t("language_toggle_hint");
    ui.closeButton.querySelector(".cf-sr-only").textContent = t("close");
    ui.log.setAttribute("aria-label", t("transcript"));
    ui.inputLabel.textContent = t("input_label");
    ui.input.setAttribute("placeholder", t("placeholder"));
    ui.send.textContent = t("send");
    ui.privacy.textContent = t("privacy");
    if (ui.statusKey) {
      setStatus(ui.statusKey);
    }
    if (!state.history.length) {
      updateWelcome();
    }
  }

  function open(moveFocus) {
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.root.classList.add("cf-is-open");
    state.open = true;
    saveState();
    connect();
    scrollToEnd();
    if (moveFocus) {
      ui.input.focus();
    }
  }

  function close(moveFocus) {
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.root.classList.remove("cf-is-open");
    state.open = false;
    saveState();
    if (moveFocus) {
      ui.launcher.focus();
    }
  }

  function setStatus(key) {
    ui.statusKey = key;
    while (ui.status.firstChild) {
      ui.status.removeChild(ui.status.firstChild);
    }
    ui.status.className = "cf-status" + (key ? " cf-status-" + key : "");
    if (!key) {
      return;
    }
    if (key === "offline") {
      var number = t("offline_number");
      fill(t("offline"), { number: telLink(number) }).forEach(function (node) {
        ui.status.appendChild(node);
      });
    } else {
      ui.status.textContent = t(key);
    }
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // ---- messages ----

  // The referrals of the current turn: a plain follow-up message that only repeats
  // what their cards already show (documents, processing time) is not shown twice.
  var turnReferrals = null;

  function sendMessage(message, shown) {
    turnReferrals = null;
    var entry = { from: "user", text: shown, lang: lang() };
    state.history.push(entry);
    saveState();
    appendEntry(entry);
    var data = { message: message, session_id: state.sessionId, customData: { language: lang() } };
    if (options.location) {
      data.customData.location = options.location;
    }
    if (socket && socket.connected && sessionReady) {
      socket.emit("user_uttered", data);
    } else {
      pending.push(data);
      connect();
    }
  }

  function receive(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    var custom = message.custom && typeof message.custom === "object" ? message.custom : null;
    if (custom && custom.type === "referral" && Array.isArray(custom.referrals)) {
      turnReferrals = custom.referrals;
    } else if (!custom && turnReferrals && !(message.buttons || []).length) {
      // At most a heading line ("Have these ready:") is not on the cards.
      if (extraLines(message.text, turnReferrals).length <= 1) return;
    }
    var entry = { from: "bot", message: message, lang: lang() };
    state.history.push(entry);
    saveState();
    appendEntry(entry);
  }

  function appendEntry(entry) {
    var node = entry.from === "user" ? userNode(entry) : botNode(entry);
    ui.log.appendChild(node);
    scrollToEnd();
  }

  function speaker(name, lng) {
    return el("p", { class: "cf-speaker" }, [t(name, lng)]);
  }

  function userNode(entry) {
    return el("div", { class: "cf-msg cf-msg-user", lang: entry.lang }, [
      speaker("you", entry.lang),
      el("p", { class: "cf-bubble", text: entry.text }),
    ]);
  }

  function botNode(entry) {
    var message = entry.message || {};
    var custom = message.custom && typeof message.custom === "object" ? message.custom : {};
    var lng = custom.language === "fr" || custom.language === "en" ? custom.language : entry.lang;
    var body = el("div", { class: "cf-body" });
    var type = custom.type;
    if (type === "referral" && Array.isArray(custom.referrals) && custom.referrals.length) {
      renderReferral(body, message.text, custom, lng);
    } else if (type === "emergency") {
      renderEmergency(body, message.text, custom, lng);
    } else if (type === "handoff") {
      renderHandoff(body, message.text, custom, lng);
    } else {
      if (message.text) {
        body.appendChild(el("p", { class: "cf-bubble" }, [richText(message.text)]));
      }
    }
    var offered = choiceOptions(message, custom);
    if (offered.length) {
      body.appendChild(renderChoices(offered, lng, entry));
    }
    return el("div", { class: "cf-msg cf-msg-bot", lang: lng }, [speaker("assistant", lng), body]);
  }

  // The referral text repeats the card's fields; lines that the card does not
  // carry (offices, follow-up answers) are kept so nothing is lost.
  function extraLines(text, referrals) {
    var known = [];
    referrals.forEach(function (r) {
      [r.name, r.organization, r.why, r.processing_time].forEach(function (v) {
        if (v) known.push(String(v));
      });
      (r.documents || []).forEach(function (d) {
        known.push(String(d));
      });
      (r.channels || []).forEach(function (c) {
        ["url", "number", "tty", "hours", "name", "address"].forEach(function (k) {
          if (c[k]) known.push(k === "number" || k === "tty" ? phoneText(c[k]) : String(c[k]));
        });
      });
    });
    return String(text || "")
      .split("\n")
      .filter(function (line) {
        var clean = line.trim();
        if (!clean) return false;
        return !known.some(function (k) {
          return k.length >= 3 && clean.indexOf(k) !== -1;
        });
      });
  }

  function renderReferral(body, text, custom, lng) {
    var referrals = custom.referrals;
    var lines = String(text || "").split("\n");
    if (custom.life_event && lines[0]) {
      body.appendChild(el("p", { class: "cf-bubble cf-lead" }, [richText(lines[0])]));
    } else {
      var extra = extraLines(text, referrals);
      if (extra.length) {
        body.appendChild(el("p", { class: "cf-bubble" }, [richText(extra.join("\n"))]));
      }
    }
    if (custom.life_event) {
      referrals.forEach(function (referral) {
        body.appendChild(referralCard(referral, lng, false));
      });
      return;
    }
    // The first referral answers the question; the others stay one click away.
    body.appendChild(referralCard(referrals[0], lng, true));
    if (referrals.length > 1) {
      var more = el("details", { class: "cf-related" }, [el("summary", { text: t("related", lng) })]);
      referrals.slice(1).forEach(function (referral) {
        more.appendChild(referralCard(referral, lng, false));
      });
      body.appendChild(more);
    }
  }

  function orderBadge(order, lng) {
    var known = ORDERS.indexOf(order) !== -1;
    var label = known ? t("order_" + order, lng) : String(order || "");
    return el("span", { class: "cf-badge cf-badge-" + (known ? order : "other") }, [
      el("span", { class: "cf-sr-only", text: t("order_label", lng) + colon(lng) }),
      label,
    ]);
  }

  function referralCard(r, lng, prominent) {
    var card = el("article", { class: "cf-card" + (prominent ? " cf-card-primary" : "") });
    var head = el("div", { class: "cf-card-head" }, [orderBadge(r.order, lng)]);
    card.appendChild(head);
    card.appendChild(el("h3", { class: "cf-card-title", text: r.name || "" }));
    if (r.organization) {
      card.appendChild(
        el("p", { class: "cf-org" }, [
          el("span", { class: "cf-sr-only", text: t("organization", lng) + colon(lng) }),
          r.organization,
        ])
      );
    }
    if (r.why) {
      card.appendChild(el("p", { class: "cf-why", text: r.why }));
    }
    var channels = Array.isArray(r.channels) ? r.channels : [];
    if (channels.length) {
      var list = el("ul", { class: "cf-channels", "aria-label": t("how_to_reach", lng) });
      channels.forEach(function (c) {
        var item = channelItem(c, lng);
        if (item) list.appendChild(item);
      });
      card.appendChild(list);
    }
    var docs = Array.isArray(r.documents) ? r.documents.filter(Boolean) : [];
    if (docs.length) {
      card.appendChild(el("p", { class: "cf-subhead", text: t("documents", lng) }));
      card.appendChild(
        el(
          "ul",
          { class: "cf-docs" },
          docs.map(function (d) {
            return el("li", { text: String(d) });
          })
        )
      );
    }
    if (r.processing_time) {
      card.appendChild(
        el("p", { class: "cf-processing" }, [
          label("processing_time", lng),
          String(r.processing_time),
        ])
      );
    }
    return card;
  }

  function colon(lng) {
    // French typography puts a space before the colon.
    return lng === "fr" ? " : " : ": ";
  }

  function label(name, lng) {
    return el("span", { class: "cf-field", text: t(name, lng) + colon(lng) });
  }

  function channelItem(c, lng) {
    if (!c || typeof c !== "object") return null;
    var li = el("li", { class: "cf-channel cf-channel-" + String(c.type || "other").replace(/[^a-z_]/g, "") });
    var known = ["online", "phone", "in_person", "mail", "email", "sms", "live_chat"];
    li.appendChild(label(known.indexOf(c.type) !== -1 ? c.type : "website", lng));
    if (c.type === "phone") {
      if (c.number) li.appendChild(telLink(c.number, "cf-tel"));
    } else if (c.type === "sms") {
      var sms = telHref(c.number || "");
      if (sms) li.appendChild(el("a", { href: "sms:" + sms.slice(4), class: "cf-tel" }, [phoneText(c.number)]));
    } else if (c.type === "in_person") {
      if (c.name) li.appendChild(el("span", { class: "cf-place", text: c.name }));
      if (c.address) li.appendChild(el("span", { class: "cf-address", text: c.address }));
      if (c.status) li.appendChild(el("span", { class: "cf-office-status", text: c.status }));
      if (c.number) li.appendChild(el("span", { class: "cf-line" }, [label("phone", lng), telLink(c.number, "cf-tel")]));
      if (c.url) li.appendChild(el("span", { class: "cf-line" }, [siteLink(c.url, lng)]));
    } else {
      if (c.name) li.appendChild(el("span", { class: "cf-place", text: c.name }));
      if (c.url) li.appendChild(el("span", { class: "cf-line" }, [siteLink(c.url, lng)]));
    }
    if (c.hours) {
      li.appendChild(el("span", { class: "cf-line cf-hours" }, [label("hours", lng), String(c.hours)]));
    }
    if (c.tty) {
      li.appendChild(
        el("span", { class: "cf-line cf-tty" }, [label("tty", lng), telLink(c.tty, "cf-tel")])
      );
    }
    return li;
  }

  function renderEmergency(body, text, custom, lng) {
    var number = String(custom.number || "911");
    var crisis = custom.kind === "mental-health-crisis";
    var block = el("div", { class: "cf-emergency", role: "alert" }, [
      el("p", { class: "cf-emergency-heading", text: t(crisis ? "crisis_heading" : "emergency_heading", lng) }),
      telLink(number, "cf-emergency-call", fill(t("call", lng), { number: number }).map(function (n) {
        return n.textContent;
      }).join("")),
    ]);
    if (text) {
      block.appendChild(el("p", { class: "cf-emergency-text" }, [richText(text)]));
    }
    body.appendChild(block);
  }

  function renderHandoff(body, text, custom, lng) {
    var block = el("div", { class: "cf-handoff" }, [
      el("p", { class: "cf-handoff-heading", text: t("handoff_heading", lng) }),
    ]);
    if (text) {
      block.appendChild(el("p", { class: "cf-handoff-text" }, [richText(text)]));
    }
    if (custom.organization) {
      block.appendChild(el("p", { class: "cf-org" }, [label("organization", lng), String(custom.organization)]));
    }
    if (custom.number) {
      var call = fill(t("call", lng), { number: phoneText(custom.number) })
        .map(function (n) {
          return n.textContent;
        })
        .join("");
      block.appendChild(el("p", {}, [telLink(custom.number, "cf-call", call)]));
    }
    if (custom.hours) {
      block.appendChild(el("p", { class: "cf-hours" }, [label("hours", lng), String(custom.hours)]));
    }
    if (custom.live_chat && safeUrl(custom.live_chat)) {
      block.appendChild(el("p", {}, [externalLink(custom.live_chat, t("live_chat", lng), "cf-live-chat")]));
    }
    body.appendChild(block);
  }

  function choiceOptions(message, custom) {
    var source = [];
    if (custom.type === "choices" && Array.isArray(custom.options)) {
      source = custom.options;
    } else if (Array.isArray(message.buttons)) {
      source = message.buttons;
    }
    return source.filter(function (o) {
      return o && typeof o.title === "string" && typeof o.payload === "string";
    });
  }

  function renderChoices(choices, lng, entry) {
    var group = el("div", { class: "cf-choices", role: "group", "aria-label": t("choices", lng) });
    var buttons = choices.map(function (choice, index) {
      var button = el("button", { type: "button", class: "cf-choice", text: choice.title });
      if (entry.used !== undefined) {
        button.disabled = true;
        if (entry.used === index) button.setAttribute("aria-pressed", "true");
      }
      button.addEventListener("click", function () {
        buttons.forEach(function (b) {
          b.disabled = true;
        });
        button.setAttribute("aria-pressed", "true");
        entry.used = index;
        saveState();
        // Disabled buttons drop focus: put it back where the citizen keeps typing.
        ui.input.focus();
        sendMessage(choice.payload, choice.title);
      });
      group.appendChild(button);
      return button;
    });
    return group;
  }

  function restoreHistory() {
    state.history.forEach(function (entry) {
      appendEntry(entry);
    });
  }

  function welcome() {
    // The greeting follows the language toggle until the conversation starts.
    ui.welcome = el("div", { class: "cf-msg cf-msg-bot cf-welcome" }, [
      el("p", { class: "cf-speaker" }),
      el("p", { class: "cf-bubble" }),
    ]);
    ui.log.appendChild(ui.welcome);
    updateWelcome();
  }

  function updateWelcome() {
    if (!ui.welcome) return;
    ui.welcome.setAttribute("lang", lang());
    ui.welcome.firstChild.textContent = t("assistant");
    ui.welcome.lastChild.textContent = t("welcome");
  }

  // ---- the connection ----

  function connect() {
    if (socket) {
      return;
    }
    setStatus("connecting");
    loadSocketIo().then(
      function (io) {
        socket = io(server, { path: "/socket.io/", transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
        socket.on("connect", function () {
          sessionReady = false;
          if (!state.sessionId) {
            state.sessionId = newSessionId();
            saveState();
          }
          socket.emit("session_request", { session_id: state.sessionId });
        });
        socket.on("session_confirm", function (sessionId) {
          var id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
          if (id && id !== state.sessionId) {
            state.sessionId = id;
            saveState();
          }
          sessionReady = true;
          setStatus(null);
          while (pending.length) {
            var data = pending.shift();
            data.session_id = state.sessionId;
            socket.emit("user_uttered", data);
          }
        });
        socket.on("bot_uttered", receive);
        socket.on("connect_error", function () {
          setStatus("offline");
        });
        socket.on("disconnect", function () {
          sessionReady = false;
          setStatus("offline");
        });
      },
      function () {
        socket = null;
        setStatus("offline");
      }
    );
  }

  function start() {
    var request = fetch(server + "/widget/i18n.json", { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("i18n " + r.status);
      return r.json();
    });
    request.then(
      function (data) {
        if (!data || !data.en || !data.fr) return;
        texts = data;
        build();
        applyLabels();
        welcome();
        restoreHistory();
        if (state.open || options.open) {
          open(false);
        }
      },
      function () {
        // Without its labels the widget cannot speak either language: the host page stays as it is.
      }
    );
  }

  loadCss();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
