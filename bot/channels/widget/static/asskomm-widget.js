/*! ASSKomm-Chat – Website-Widget für asskomm-bot (Rasa socket.io). Plain ES2017, kein Build-Schritt.
 *
 * Einbinden (eine Zeile, vor </body>):
 *   <script src="https://bot.example.de/webhooks/widget/static/asskomm-widget.js"
 *           data-bot-url="https://bot.example.de" data-title="ASSKomm-Assistent"
 *           data-primary-color="#005a9c" data-greeting="/greet" defer></script>
 *
 * Optionen (alle freiwillig):
 *   data-bot-url        Adresse des Bots (Standard: Herkunft dieses Skripts). Ein Pfad
 *                       (https://example.de/chatbot) gilt als Präfix vor /socket.io.
 *   data-title          Titel des Chatfensters (Standard „ASSKomm-Assistent“).
 *   data-primary-color  Hausfarbe. Hat sie zu weißer Schrift keinen Kontrast von mind. 4,5:1,
 *                       nimmt das Widget #005a9c (Hinweis in der Browser-Konsole).
 *   data-greeting       Nachricht (z. B. „/greet“), die beim allerersten Sitzungsbeginn gesendet
 *                       und nicht angezeigt wird.
 *   data-open           „true“: Chat beim Laden geöffnet (ohne den Fokus zu verschieben).
 *   data-socket-path    Pfad des socket.io-Endpunkts (Standard: <Pfad der Bot-URL>/socket.io).
 *
 * Lädt asskomm-widget.css und vendor/socket.io.min.js von seiner eigenen Adresse (kein CDN).
 * Der Gesprächsverlauf und die Sitzungskennung liegen im localStorage dieses Browsers.
 * Der Schalter „Leichte Sprache“ (aria-pressed) sendet /request_easy_language bzw.
 * /request_standard_language; er folgt auch den Bestätigungen des Bots (siehe easyFromReply).
 * Nach jeder Antwort fragt es „Hilfreich? Ja / Nein“, beim Schließen „Hat Ihnen das Gespräch
 * geholfen?“; ein Klick sendet /feedback{"feedback_wert": …} (bot/feedback.py), der Bot speichert
 * ihn mit dem Gespräch und antwortet nicht darauf.
 * Öffentlich: window.ASSKommWidget.{open(), close(), reset(), renderMarkdown(text), version}.
 */
(function () {
  'use strict';

  if (window.ASSKommWidget && window.ASSKommWidget.version) return; // zweimal eingebunden

  var VERSION = '1.0.0';
  var DEFAULT_PRIMARY = '#005a9c';
  var BOT_BUBBLE_BG = [238, 241, 244]; // #eef1f4, wie in asskomm-widget.css
  var MAX_LENGTH = 2000;
  var COUNTER_FROM = 200; // Zeichenzähler erst, wenn nur noch so viele Zeichen frei sind
  var COUNTER_ANNOUNCE = [200, 100, 50, 20, 10, 0];
  var MAX_STORED_MESSAGES = 200;
  var REPLY_TIMEOUT_MS = 60000;

  var TEXT = {
    open: 'Chat öffnen',
    close: 'Chat schließen',
    reset: 'Gespräch neu beginnen',
    resetConfirm: 'Möchten Sie das Gespräch neu beginnen? Der bisherige Verlauf wird aus diesem Browser gelöscht.',
    unread: 'neue Nachricht',
    log: 'Gesprächsverlauf',
    you: 'Sie:',
    bot: 'Assistent:',
    typing: 'Der Assistent schreibt …',
    replies: 'Antwortmöglichkeiten',
    label: 'Ihre Nachricht',
    placeholder: 'Ihre Frage …',
    send: 'Senden',
    newWindow: ' (öffnet in neuem Fenster)',
    connecting: 'Verbindung wird hergestellt …',
    reconnecting: 'Verbindung unterbrochen – neuer Versuch …',
    noConnection: 'Keine Verbindung zum Assistenten – neuer Versuch …',
    loadFailed: 'Der Chat konnte nicht geladen werden. Bitte laden Sie die Seite später neu.',
    noReply: 'Der Assistent antwortet gerade nicht. Bitte versuchen Sie es erneut.',
    image: 'Bild öffnen',
    easy: 'Leichte Sprache',
    easyTitle: 'Antworten in Leichter Sprache ein- oder ausschalten',
    easyOn: 'Leichte Sprache',
    easyOff: 'Normale Sprache',
    handoverConnected: 'Sie sind mit einer Mitarbeiterin oder einem Mitarbeiter des LPR verbunden.',
    handoverEnded: 'Die Mitarbeiterin oder der Mitarbeiter des LPR hat das Gespräch beendet.',
    remaining: function (n) { return n === 0 ? 'Die Nachricht hat die Höchstlänge von 2000 Zeichen erreicht.' : 'Noch ' + n + ' Zeichen möglich.'; },
    counter: function (n) { return n + ' von ' + MAX_LENGTH + ' Zeichen frei'; },
    helpful: 'Hilfreich?',
    helpfulGroup: 'Rückmeldung zu dieser Antwort',
    yes: 'Ja',
    no: 'Nein',
    answerYes: 'Ja, diese Antwort war hilfreich',
    answerNo: 'Nein, diese Antwort war nicht hilfreich',
    survey: 'Hat Ihnen das Gespräch geholfen?',
    surveyYes: 'Ja, das Gespräch hat geholfen',
    surveyNo: 'Nein, das Gespräch hat nicht geholfen',
    surveyClose: 'Frage schließen',
    thanks: 'Danke für Ihre Rückmeldung.'
  };
  var FEEDBACK = { intent: '/feedback', value: 'feedback_wert', subject: 'feedback_bezug', conversation: 'gespraech' };

  // ---------------------------------------------------------------- Konfiguration

  var script = document.currentScript || document.querySelector('script[src*="asskomm-widget.js"]');
  if (!script || !script.src) return;
  var scriptUrl = new URL(script.src, document.baseURI);
  var assetBase = new URL('.', scriptUrl).href;
  var ds = script.dataset;
  var botUrl;
  try { botUrl = new URL(ds.botUrl || scriptUrl.origin, document.baseURI); } catch (e) { botUrl = new URL(scriptUrl.origin); }
  var config = {
    botOrigin: botUrl.origin,
    socketPath: ds.socketPath || botUrl.pathname.replace(/\/+$/, '') + '/socket.io',
    title: ((ds.title || '').trim() || 'ASSKomm-Assistent').slice(0, 80),
    primary: chooseColour(ds.primaryColor),
    greeting: (ds.greeting || '').trim(),
    startOpen: ds.open === 'true'
  };
  var STORE_KEY = 'asskomm-widget:v1:' + config.botOrigin + config.socketPath;
  var OPEN_KEY = STORE_KEY + ':open';

  // ---------------------------------------------------------------- Farben (WCAG-Kontrast)

  function parseColour(value) {
    if (!value || typeof value !== 'string') return null;
    value = value.trim();
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value);
    if (!hex) {
      var ctx = null;
      try { ctx = document.createElement('canvas').getContext('2d'); } catch (e) { ctx = null; }
      if (!ctx) return null;
      ctx.fillStyle = '#010203';
      ctx.fillStyle = value; // ungültige Werte lässt der Canvas unverändert
      var normalised = String(ctx.fillStyle);
      if (normalised === '#010203' && value.toLowerCase() !== '#010203') return null;
      hex = /^#([0-9a-f]{6})$/i.exec(normalised); // rgba(...) mit Transparenz wird abgelehnt
      if (!hex) return null;
    }
    var h = hex[1].length === 3 ? hex[1].replace(/./g, '$&$&') : hex[1];
    return [0, 2, 4].map(function (i) { return parseInt(h.slice(i, i + 2), 16); });
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function toHex(rgb) {
    return '#' + rgb.map(function (v) { return ('0' + Math.round(v).toString(16)).slice(-2); }).join('');
  }

  /** Die Hausfarbe, wenn weiße Schrift darauf und sie als Schrift auf den Nachrichten mind. 4,5:1 hat. */
  function chooseColour(value) {
    var fallback = parseColour(DEFAULT_PRIMARY);
    var rgb = parseColour(value);
    if (value && !rgb) {
      console.warn('[ASSKomm-Chat] data-primary-color „' + value + '“ ist keine Farbe; verwendet wird ' + DEFAULT_PRIMARY + '.');
    } else if (rgb && (contrast(rgb, [255, 255, 255]) < 4.5 || contrast(rgb, BOT_BUBBLE_BG) < 4.5)) {
      console.warn('[ASSKomm-Chat] data-primary-color „' + value + '“ hat zu wenig Kontrast (WCAG 4,5:1); verwendet wird ' + DEFAULT_PRIMARY + '.');
      rgb = null;
    }
    rgb = rgb || fallback;
    return { main: toHex(rgb), dark: toHex(rgb.map(function (v) { return v * 0.8; })) };
  }

  // ---------------------------------------------------------------- Speicher

  var memory = {}; // wenn localStorage gesperrt ist (privater Modus, Richtlinien)
  function storageGet(area, key) {
    try { return window[area].getItem(key); } catch (e) { return Object.prototype.hasOwnProperty.call(memory, area + key) ? memory[area + key] : null; }
  }
  function storageSet(area, key, value) {
    try {
      if (value === null) window[area].removeItem(key); else window[area].setItem(key, value);
    } catch (e) {
      if (value === null) delete memory[area + key]; else memory[area + key] = value;
    }
  }

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID().replace(/-/g, '');
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function cleanButtons(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (b) { return b && typeof b.title === 'string' && b.title.trim(); })
      .slice(0, 20)
      .map(function (b) {
        return { title: b.title.slice(0, 200), payload: String(b.payload != null && b.payload !== '' ? b.payload : b.title).slice(0, MAX_LENGTH) };
      });
  }

  function loadState() {
    var raw = storageGet('localStorage', STORE_KEY);
    if (!raw) return null;
    try {
      var data = JSON.parse(raw);
      if (!data || typeof data.sessionId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(data.sessionId)) return null;
      var messages = Array.isArray(data.messages) ? data.messages : [];
      return {
        sessionId: data.sessionId,
        greeted: !!data.greeted,
        lastSender: typeof data.lastSender === 'string' ? data.lastSender : '',
        easyLanguage: data.easyLanguage === true,
        feedback: cleanFeedback(data.feedback),
        conversationFeedback: data.conversationFeedback === 'ja' || data.conversationFeedback === 'nein' ? data.conversationFeedback : '',
        handover: data.handover === 'connected' || data.handover === 'ended' ? data.handover : '',
        messages: messages.filter(function (m) {
          return m && typeof m.id === 'string' && (m.from === 'user' || m.from === 'bot') && typeof m.text === 'string';
        }).map(function (m) { return { id: m.id, from: m.from, text: m.text, buttons: cleanButtons(m.buttons) }; })
      };
    } catch (e) {
      return null;
    }
  }

  /** Antwort (ID ihrer ersten Nachricht) -> „ja“ / „nein“. */
  function cleanFeedback(value) {
    var out = {};
    if (value && typeof value === 'object') {
      Object.keys(value).forEach(function (id) { if (value[id] === 'ja' || value[id] === 'nein') out[id] = value[id]; });
    }
    return out;
  }

  function newState() {
    return { sessionId: randomId(), greeted: false, lastSender: '', easyLanguage: false, feedback: {}, conversationFeedback: '', handover: '', messages: [] };
  }

  function saveState() {
    if (state.messages.length > MAX_STORED_MESSAGES) state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    storageSet('localStorage', STORE_KEY, JSON.stringify(state));
  }

  /** Liest den Stand neu, bevor er verändert wird: ein anderer Tab kann ihn geändert haben. */
  function refreshState() {
    var fresh = loadState();
    if (fresh) state = fresh;
  }

  var state = loadState() || newState();
  // je Seitenaufruf neu: ein duplizierter Tab erbt den sessionStorage und darf nicht als derselbe gelten
  var tabId = randomId();

  // ---------------------------------------------------------------- Markdown (sichere Teilmenge)

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function safeUrl(url) {
    if (!/^(https?:\/\/|mailto:)/i.test(url)) return null;
    try {
      var parsed = new URL(url);
      return /^(https?:|mailto:)$/.test(parsed.protocol) ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function bold(text) {
    return escapeHtml(text).replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>');
  }

  function link(url, innerHtml) {
    if (/^mailto:/i.test(url)) return '<a href="' + escapeHtml(url) + '">' + innerHtml + '</a>';
    return '<a href="' + escapeHtml(url) + '" target="_blank" rel="noopener noreferrer">' + innerHtml +
      '<span class="ak-sr">' + TEXT.newWindow + '</span></a>';
  }

  function inline(raw) {
    var pattern = /\[([^\]\n]{1,500})\]\(([^()\s]{1,2000})\)|\b(https?:\/\/[^\s<>"'`]+)/g;
    var out = '', last = 0, m;
    while ((m = pattern.exec(raw)) !== null) {
      out += bold(raw.slice(last, m.index));
      if (m[1] !== undefined) {
        var target = safeUrl(m[2]);
        out += target ? link(target, bold(m[1])) : bold(m[1]); // andere Schemata (javascript:, data:): nur Text
      } else {
        var url = m[3], trail = (/[.,;:!?)\]]+$/.exec(url) || [''])[0];
        url = url.slice(0, url.length - trail.length);
        var safe = safeUrl(url);
        out += (safe ? link(safe, escapeHtml(url)) : escapeHtml(url)) + escapeHtml(trail);
      }
      last = pattern.lastIndex;
    }
    return out + bold(raw.slice(last));
  }

  /** Escapt zuerst alles HTML; dann **fett**, [Text](https://…), Zeilenumbrüche, „- “ und „1. “-Listen. */
  function renderMarkdown(text) {
    var lines = String(text == null ? '' : text).replace(/\r\n?/g, '\n').split('\n');
    var html = '', paragraph = [], list = null;
    function flushParagraph() {
      if (paragraph.length) html += '<p>' + paragraph.map(inline).join('<br>') + '</p>';
      paragraph = [];
    }
    function flushList() {
      if (list) {
        html += '<' + list.type + (list.type === 'ol' && list.start !== 1 ? ' start="' + list.start + '"' : '') + '>' +
          list.items.map(function (item) { return '<li>' + inline(item) + '</li>'; }).join('') + '</' + list.type + '>';
      }
      list = null;
    }
    lines.forEach(function (line) {
      var bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      var number = /^\s*(\d{1,3})[.)]\s+(.*)$/.exec(line);
      if (bullet || number) {
        flushParagraph();
        var type = bullet ? 'ul' : 'ol';
        if (!list || list.type !== type) {
          flushList();
          list = { type: type, items: [], start: number ? parseInt(number[1], 10) : 1 };
        }
        list.items.push(bullet ? bullet[1] : number[2]);
      } else if (!line.trim()) {
        flushParagraph();
        flushList();
      } else {
        flushList();
        paragraph.push(line);
      }
    });
    flushParagraph();
    flushList();
    return html;
  }

  // ---------------------------------------------------------------- Oberfläche

  var ICONS = {
    chat: '<svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" height="24"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v11h2v2l2.5-2H20V5H4zm3 3h10v2H7V8zm0 4h7v2H7v-2z"/></svg>',
    close: '<svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" height="24"><path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z"/></svg>',
    reset: '<svg aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" height="24"><path fill="currentColor" d="M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z"/></svg>',
    check: '<svg class="ak-check" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="16" height="16"><path fill="currentColor" d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z"/></svg>'
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value == null) return;
      if (name === 'text') node.textContent = value;
      else if (name === 'html') node.innerHTML = value; // nur für feste Zeichenketten und renderMarkdown()
      else if (name === 'class') node.className = value;
      else node.setAttribute(name, value === true ? '' : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  var host, launcher, unreadBadge, panel, log, typing, statusLine, handoverLine, form, input, sendButton, counter, counterLive, easyToggle;
  var survey, surveyChoices, surveyThanks;

  // Datenschutz: der Link steht vor der ersten Nachricht (data-privacy-url, sonst die
  // Weiterleitung des Bots auf ASSKOMM_PRIVACY_URL).
  function privacyNotice() {
    var url = ds.privacyUrl || (config.botOrigin + botUrl.pathname.replace(/\/+$/, '') + '/webhooks/widget/datenschutz');
    return el('p', { class: 'ak-privacy' }, [
      document.createTextNode('Bitte geben Sie keine vertraulichen Daten ein. '),
      el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: 'Hinweise zum Datenschutz' })
    ]);
  }
  var rendered = {}; // Nachrichten-ID -> Element
  var feedbackBlocks = {}; // Antwort (ID ihrer ersten Nachricht) -> „Hilfreich? Ja / Nein“
  var lastAnnounced = null;

  function buildUi() {
    host = el('div', { id: 'asskomm-chat', lang: 'de', 'data-version': VERSION });
    host.style.setProperty('display', 'none'); // bis das Stylesheet geladen ist (kein ungestyltes Aufblitzen)
    host.style.setProperty('--ak-primary', config.primary.main);
    host.style.setProperty('--ak-primary-dark', config.primary.dark);
    var shadow = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;

    var css = el('link', { rel: 'stylesheet', href: assetBase + 'asskomm-widget.css' });
    if (script.nonce) css.nonce = script.nonce;
    var reveal = function () { host.style.removeProperty('display'); };
    css.addEventListener('load', reveal);
    css.addEventListener('error', reveal);

    unreadBadge = el('span', { class: 'ak-unread', hidden: true }, [el('span', { class: 'ak-sr', text: ' (' + TEXT.unread + ')' })]);
    launcher = el('button', {
      type: 'button', class: 'ak-launcher', 'aria-expanded': 'false', 'aria-controls': 'ak-panel',
      html: ICONS.chat
    }, [el('span', { class: 'ak-launcher-text', text: TEXT.open }), unreadBadge]);

    var closeButton = el('button', { type: 'button', class: 'ak-iconbtn', title: TEXT.close, html: ICONS.close },
      [el('span', { class: 'ak-sr', text: TEXT.close })]);
    var resetButton = el('button', { type: 'button', class: 'ak-iconbtn', title: TEXT.reset, html: ICONS.reset },
      [el('span', { class: 'ak-sr', text: TEXT.reset })]);
    // Ein Umschalter mit festem Namen: Bildschirmleser sagen „gedrückt“ / „nicht gedrückt“.
    easyToggle = el('button', { type: 'button', class: 'ak-toggle', 'aria-pressed': 'false', title: TEXT.easyTitle,
      html: ICONS.check }, [el('span', { text: TEXT.easy })]);

    typing = el('div', { class: 'ak-typing', hidden: true }, [
      el('span', { class: 'ak-sr', text: TEXT.typing }),
      el('span', { class: 'ak-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')])
    ]);
    log = el('div', {
      class: 'ak-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
      'aria-label': TEXT.log, tabindex: '0'
    }, [typing]);
    statusLine = el('p', { class: 'ak-status', role: 'status' });
    // Übergabe an einen Menschen: sichtbar und für Bildschirmleser angesagt. Eine eigene
    // Live-Region ohne role="status": die Statuszeile der Verbindung bleibt die einzige.
    handoverLine = el('p', { class: 'ak-handover', 'aria-live': 'polite', 'aria-atomic': 'true' });

    input = el('textarea', {
      id: 'ak-input', class: 'ak-input', rows: '1', maxlength: String(MAX_LENGTH), placeholder: TEXT.placeholder,
      autocomplete: 'off', enterkeyhint: 'send', 'aria-describedby': 'ak-counter-live'
    });
    sendButton = el('button', { type: 'submit', class: 'ak-send', text: TEXT.send });
    counter = el('p', { class: 'ak-counter', 'aria-hidden': 'true', hidden: true });
    counterLive = el('span', { id: 'ak-counter-live', class: 'ak-sr', 'aria-live': 'polite' });
    form = el('form', { class: 'ak-form', novalidate: true }, [
      el('label', { class: 'ak-sr', for: 'ak-input', text: TEXT.label }), input, sendButton, counter, counterLive
    ]);

    panel = el('div', { id: 'ak-panel', class: 'ak-panel', role: 'dialog', 'aria-labelledby': 'ak-title', hidden: true }, [
      el('div', { class: 'ak-header' }, [el('h2', { id: 'ak-title', class: 'ak-title', text: config.title }), easyToggle, resetButton, closeButton]),
      privacyNotice(), handoverLine, log, statusLine, form
    ]);

    surveyChoices = el('div', { class: 'ak-feedback-choices', role: 'group', 'aria-labelledby': 'ak-survey-q' }, [
      el('button', { type: 'button', class: 'ak-fb', 'data-wert': 'ja', 'aria-label': TEXT.surveyYes, text: TEXT.yes }),
      el('button', { type: 'button', class: 'ak-fb', 'data-wert': 'nein', 'aria-label': TEXT.surveyNo, text: TEXT.no })
    ]);
    surveyThanks = el('p', { class: 'ak-feedback-thanks', role: 'status' });
    var surveyClose = el('button', { type: 'button', class: 'ak-iconbtn ak-survey-close', title: TEXT.surveyClose, html: ICONS.close },
      [el('span', { class: 'ak-sr', text: TEXT.surveyClose })]);
    survey = el('section', { class: 'ak-survey', 'aria-labelledby': 'ak-survey-q', hidden: true }, [
      el('p', { id: 'ak-survey-q', class: 'ak-survey-q', text: TEXT.survey }), surveyChoices, surveyThanks, surveyClose
    ]);

    var root = el('aside', { class: 'ak-root', lang: 'de', 'aria-label': 'Chat: ' + config.title }, [launcher, survey, panel]);
    shadow.appendChild(css);
    shadow.appendChild(root);

    launcher.addEventListener('click', function () { openPanel(true); });
    closeButton.addEventListener('click', function () { closePanel(true); });
    resetButton.addEventListener('click', resetConversation);
    easyToggle.addEventListener('click', toggleEasyLanguage);
    panel.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' || event.key === 'Esc') {
        event.preventDefault();
        closePanel(true);
      }
    });
    form.addEventListener('submit', function (event) { event.preventDefault(); submitInput(); });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
        event.preventDefault();
        submitInput();
      }
    });
    input.addEventListener('input', function () { autosize(); updateCounter(); });
    log.addEventListener('click', function (event) {
      var rating = event.target.closest ? event.target.closest('button.ak-fb') : null;
      if (rating) {
        rateAnswer(rating.closest('.ak-feedback').getAttribute('data-answer'), rating.getAttribute('data-wert'));
        return;
      }
      var button = event.target.closest ? event.target.closest('button.ak-reply') : null;
      if (!button || button.disabled) return;
      if (sendMessage(button.getAttribute('data-payload'), button.textContent)) input.focus();
    });
    surveyChoices.addEventListener('click', function (event) {
      var rating = event.target.closest ? event.target.closest('button.ak-fb') : null;
      if (rating) rateConversation(rating.getAttribute('data-wert'));
    });
    surveyClose.addEventListener('click', function () {
      hideSurvey();
      launcher.focus();
    });

    renderMessages(true);
    updateSendState();
    showEasyLanguage();
    showHandover();
    document.body.appendChild(host);
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 2 + 'px'; // max-height im CSS begrenzt, danach scrollt das Feld
  }

  function updateCounter() {
    var remaining = MAX_LENGTH - input.value.length;
    var near = remaining <= COUNTER_FROM;
    counter.hidden = !near;
    counter.textContent = near ? TEXT.counter(remaining) : '';
    var step = null;
    COUNTER_ANNOUNCE.forEach(function (limit) { if (remaining <= limit) step = limit; });
    if (step !== lastAnnounced) {
      // nur beim Erreichen einer Stufe ansagen, nicht bei jedem Tastendruck
      if (step !== null && (lastAnnounced === null || step < lastAnnounced)) counterLive.textContent = TEXT.remaining(remaining);
      if (step === null) counterLive.textContent = '';
      lastAnnounced = step;
    }
  }

  function showHandover() {
    var text = state.handover === 'connected' ? TEXT.handoverConnected
      : state.handover === 'ended' ? TEXT.handoverEnded : '';
    if (handoverLine && handoverLine.textContent !== text) handoverLine.textContent = text;
  }

  function setStatus(text) {
    if (statusLine.textContent !== text) statusLine.textContent = text;
  }

  var replyTimer = null;
  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(replyTimer);
    if (on) {
      log.appendChild(typing); // immer als letztes Element
      scrollToEnd();
      replyTimer = setTimeout(function () { typing.hidden = true; setStatus(TEXT.noReply); }, REPLY_TIMEOUT_MS);
    }
  }

  function showEasyLanguage() {
    easyToggle.setAttribute('aria-pressed', state.easyLanguage ? 'true' : 'false');
  }

  function toggleEasyLanguage() {
    var on = !state.easyLanguage;
    if (!sendMessage(on ? '/request_easy_language' : '/request_standard_language', on ? TEXT.easyOn : TEXT.easyOff)) return;
    refreshState();
    state.easyLanguage = on;
    saveState();
    showEasyLanguage();
  }

  /** Die Bestätigung des Bots bietet genau den Rückweg an: nur „/request_standard_language“
   *  heißt „Leichte Sprache ist an“, nur „/request_easy_language“ heißt „aus“ (so folgt der
   *  Schalter auch getippten Wünschen wie „einfacher bitte“). Sonst: null. */
  function easyFromReply(buttons) {
    if (buttons.length !== 1) return null;
    if (buttons[0].payload === '/request_standard_language') return true;
    if (buttons[0].payload === '/request_easy_language') return false;
    return null;
  }

  function updateSendState() {
    sendButton.setAttribute('aria-disabled', ready ? 'false' : 'true');
  }

  function messageElement(message) {
    var node;
    if (message.from === 'user') {
      node = el('div', { class: 'ak-msg ak-msg--user' }, [
        el('span', { class: 'ak-sr', text: TEXT.you + ' ' }),
        el('div', { class: 'ak-bubble', text: message.text })
      ]);
    } else {
      node = el('div', { class: 'ak-msg ak-msg--bot' }, [
        el('span', { class: 'ak-sr', text: TEXT.bot + ' ' }),
        message.text ? el('div', { class: 'ak-bubble', html: renderMarkdown(message.text) }) : null
      ]);
      if (message.buttons.length) {
        node.appendChild(el('div', { class: 'ak-replies', role: 'group', 'aria-label': TEXT.replies },
          message.buttons.map(function (b) {
            return el('button', { type: 'button', class: 'ak-reply', 'data-payload': b.payload, text: b.title });
          })));
      }
    }
    node.setAttribute('data-id', message.id);
    return node;
  }

  /** Zeigt genau die gespeicherten Nachrichten (jede einmal); Schaltflächen älterer Antworten sind aus. */
  function renderMessages(initial) {
    var ids = {};
    state.messages.forEach(function (m) { ids[m.id] = true; });
    Object.keys(rendered).forEach(function (id) {
      if (!ids[id]) { rendered[id].remove(); delete rendered[id]; }
    });
    var added = [];
    state.messages.forEach(function (message) {
      if (rendered[message.id]) return;
      rendered[message.id] = messageElement(message);
      log.insertBefore(rendered[message.id], typing);
      added.push(message);
    });
    var lastUser = -1;
    state.messages.forEach(function (m, i) { if (m.from === 'user') lastUser = i; });
    state.messages.forEach(function (m, i) {
      if (m.from !== 'bot' || !m.buttons.length) return;
      var old = i < lastUser;
      Array.prototype.forEach.call(rendered[m.id].querySelectorAll('button.ak-reply'), function (b) { b.disabled = old; });
    });
    renderFeedback();
    if (added.length) {
      if (initial) scrollToEnd(); else scrollToTurn();
      if (!initial && panel.hidden && added.some(function (m) { return m.from === 'bot'; })) unreadBadge.hidden = false;
    }
  }

  /** Die Antworten des Bots auf Nachrichten der Nutzerin: je Antwort die Nachrichten bis zur
   *  nächsten Frage (die Begrüßung vor der ersten Frage ist keine Antwort). */
  function answers() {
    var runs = [], current = null, asked = false;
    state.messages.forEach(function (m) {
      if (m.from === 'user') { asked = true; current = null; return; }
      if (!asked) return;
      if (!current) { current = { id: m.id, last: m.id }; runs.push(current); } else current.last = m.id;
    });
    return runs;
  }

  /** „Hilfreich? Ja / Nein“ unter der letzten Nachricht jeder Antwort; nach dem Klick nur der Dank. */
  function renderFeedback() {
    var keep = {};
    answers().forEach(function (run) {
      keep[run.id] = true;
      var block = feedbackBlocks[run.id] || (feedbackBlocks[run.id] = feedbackElement(run.id));
      var after = rendered[run.last];
      if (after && after.nextSibling !== block) log.insertBefore(block, after.nextSibling);
      showRating(block, state.feedback[run.id]);
    });
    Object.keys(feedbackBlocks).forEach(function (id) {
      if (!keep[id]) { feedbackBlocks[id].remove(); delete feedbackBlocks[id]; }
    });
  }

  function feedbackElement(answerId) {
    return el('div', { class: 'ak-feedback', 'data-answer': answerId }, [
      el('div', { class: 'ak-feedback-choices', role: 'group', 'aria-label': TEXT.helpfulGroup }, [
        el('span', { class: 'ak-feedback-q', 'aria-hidden': 'true', text: TEXT.helpful }),
        el('button', { type: 'button', class: 'ak-fb', 'data-wert': 'ja', 'aria-label': TEXT.answerYes, text: TEXT.yes }),
        el('button', { type: 'button', class: 'ak-fb', 'data-wert': 'nein', 'aria-label': TEXT.answerNo, text: TEXT.no })
      ]),
      el('p', { class: 'ak-feedback-thanks', role: 'status' })
    ]);
  }

  function showRating(block, value) {
    block.querySelector('.ak-feedback-choices').hidden = !!value;
    var thanks = block.querySelector('.ak-feedback-thanks');
    if (thanks.textContent !== (value ? TEXT.thanks : '')) thanks.textContent = value ? TEXT.thanks : '';
  }

  /** Sendet die Rückmeldung ohne sichtbare Nachricht und ohne auf eine Antwort zu warten. */
  function sendFeedback(value, subject) {
    if (!ready) {
      setStatus(everReady ? TEXT.reconnecting : TEXT.connecting);
      return false;
    }
    var entities = {};
    entities[FEEDBACK.value] = value;
    if (subject) entities[FEEDBACK.subject] = subject;
    socket.emit('user_uttered', { message: FEEDBACK.intent + JSON.stringify(entities), session_id: state.sessionId });
    return true;
  }

  function rateAnswer(answerId, value) {
    refreshState();
    if (state.feedback[answerId] || !sendFeedback(value, '')) return; // eine Rückmeldung je Antwort
    state.feedback[answerId] = value;
    saveState();
    renderFeedback();
    input.focus(); // der Knopf ist weg; der Fokus springt nicht an den Seitenanfang
  }

  function rateConversation(value) {
    refreshState();
    if (state.conversationFeedback || !sendFeedback(value, FEEDBACK.conversation)) return;
    state.conversationFeedback = value;
    saveState();
    surveyChoices.hidden = true;
    surveyThanks.textContent = TEXT.thanks;
    survey.querySelector('.ak-survey-close').focus();
  }

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  /** Zum Ende – außer eine lange Antwort passt nicht: dann bleiben die Frage und der Anfang
   *  der Antwort sichtbar (bei einer sehr langen Frage nur der Anfang der Antwort). */
  function scrollToTurn() {
    var question = null, firstAnswer = null;
    for (var i = state.messages.length - 1; i >= 0; i--) {
      if (state.messages[i].from === 'user') { question = rendered[state.messages[i].id]; break; }
      firstAnswer = rendered[state.messages[i].id];
    }
    var anchor = question || firstAnswer;
    if (question && firstAnswer && firstAnswer.offsetTop - question.offsetTop > log.clientHeight / 2) anchor = firstAnswer;
    var bottom = log.scrollHeight - log.clientHeight;
    log.scrollTop = anchor ? Math.min(bottom, anchor.offsetTop - 8) : bottom;
  }

  function hideSurvey() {
    survey.hidden = true;
    launcher.removeAttribute('aria-describedby');
  }

  function openPanel(moveFocus) {
    hideSurvey();
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute('aria-expanded', 'true');
    unreadBadge.hidden = true;
    storageSet('sessionStorage', OPEN_KEY, '1');
    connect();
    autosize();
    scrollToEnd();
    if (moveFocus) input.focus();
  }

  function closePanel(moveFocus) {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute('aria-expanded', 'false');
    storageSet('sessionStorage', OPEN_KEY, null);
    // einmal je Gespräch und nur nach mindestens einer Antwort
    if (moveFocus && ready && answers().length && !state.conversationFeedback) {
      surveyChoices.hidden = false;
      surveyThanks.textContent = '';
      survey.hidden = false;
      launcher.setAttribute('aria-describedby', 'ak-survey-q'); // wer am Startknopf ankommt, hört die Frage
    }
    if (moveFocus) launcher.focus();
  }

  // ---------------------------------------------------------------- Verbindung (Rasa socket.io)

  var socket = null, ready = false, everReady = false, ioPromise = null;

  function loadSocketIo() {
    if (ioPromise) return ioPromise;
    ioPromise = new Promise(function (resolve, reject) {
      var hadIo = Object.prototype.hasOwnProperty.call(window, 'io'), previous = window.io;
      var tag = document.createElement('script');
      tag.src = assetBase + 'vendor/socket.io.min.js';
      tag.async = true;
      if (script.nonce) tag.nonce = script.nonce;
      tag.onload = function () {
        var io = window.io;
        // ein socket.io-Client der Website selbst bleibt unberührt
        if (hadIo) window.io = previous;
        else { try { delete window.io; } catch (e) { window.io = undefined; } }
        if (typeof io === 'function') resolve(io); else reject(new Error('socket.io-Client fehlt'));
      };
      tag.onerror = function () { reject(new Error('socket.io-Client nicht ladbar')); };
      document.head.appendChild(tag);
    });
    return ioPromise;
  }

  function connect() {
    if (socket) return;
    socket = true; // Platzhalter, bis der Client geladen ist
    var slow = setTimeout(function () { if (!ready) setStatus(TEXT.connecting); }, 800);
    loadSocketIo().then(function (io) {
      socket = io(config.botOrigin, { path: config.socketPath, reconnection: true, reconnectionDelayMax: 10000 });
      socket.on('connect', function () {
        // auch nach jedem Wiederverbinden: derselben Sitzung wieder beitreten
        socket.emit('session_request', { session_id: state.sessionId });
      });
      socket.on('session_confirm', function (sessionId) {
        if (typeof sessionId === 'string' && sessionId && sessionId !== state.sessionId) {
          refreshState();
          state.sessionId = sessionId;
          saveState();
        }
        clearTimeout(slow);
        ready = true;
        if (everReady || statusLine.textContent) setStatus('');
        everReady = true;
        updateSendState();
        greetOnce();
      });
      socket.on('bot_uttered', receive);
      socket.on('disconnect', function (reason) {
        ready = false;
        setTyping(false);
        setStatus(TEXT.reconnecting);
        updateSendState();
        if (reason === 'io server disconnect') socket.connect(); // der Server trennt nie absichtlich
      });
      socket.on('connect_error', function () {
        ready = false;
        setStatus(everReady ? TEXT.reconnecting : TEXT.noConnection);
        updateSendState();
      });
    }).catch(function () {
      clearTimeout(slow);
      socket = null;
      ioPromise = null;
      setStatus(TEXT.loadFailed);
    });
  }

  function greetOnce() {
    refreshState();
    if (!config.greeting || state.greeted || state.messages.length) return;
    state.greeted = true;
    state.lastSender = tabId;
    saveState();
    socket.emit('user_uttered', { message: config.greeting, session_id: state.sessionId });
    setTyping(true);
  }

  /** Zeigt `display` als Nachricht der Nutzerin und sendet `payload`. */
  function sendMessage(payload, display) {
    if (!ready || !payload) {
      if (!ready) setStatus(everReady ? TEXT.reconnecting : TEXT.connecting);
      return false;
    }
    refreshState();
    state.messages.push({ id: randomId(), from: 'user', text: display, buttons: [] });
    state.lastSender = tabId;
    state.greeted = true;
    saveState();
    renderMessages(false);
    if (statusLine.textContent === TEXT.noReply) setStatus('');
    socket.emit('user_uttered', { message: payload, session_id: state.sessionId });
    setTyping(true);
    return true;
  }

  function submitInput() {
    var text = input.value.trim();
    if (!text) return; // leere Nachrichten werden nicht gesendet
    if (sendMessage(text, text)) {
      input.value = '';
      autosize();
      updateCounter();
    }
  }

  function receive(data) {
    if (!data || typeof data !== 'object') return;
    refreshState();
    // Mit mehreren offenen Tabs derselben Sitzung speichert nur der Tab, der gefragt hat;
    // die anderen zeigen die Antwort über das storage-Ereignis.
    // Nachrichten von Mitarbeitenden kommen ohne Frage dieses Tabs: jeder Tab nimmt sie an,
    // ihre Kennung verhindert doppelte Einträge (auch nach dem Neuladen).
    var handover = data.handover === 'connected' || data.handover === 'ended' ? data.handover : '';
    var messageId = typeof data.message_id === 'string' ? data.message_id : '';
    if (!handover && state.lastSender && state.lastSender !== tabId) return;
    if (messageId && state.messages.some(function (m) { return m.id === messageId; })) return;
    if (handover) state.handover = handover;
    var text = typeof data.text === 'string' ? data.text : '';
    var buttons = cleanButtons(data.buttons && data.buttons.length ? data.buttons : data.quick_replies);
    var attachment = data.attachment;
    if (!text && attachment && attachment.type === 'image' && attachment.payload && safeUrl(String(attachment.payload.src || ''))) {
      text = '[' + TEXT.image + '](' + attachment.payload.src + ')';
    }
    if (!text.trim() && !buttons.length) return;
    setTyping(false);
    if (statusLine.textContent === TEXT.noReply) setStatus('');
    state.messages.push({ id: messageId || randomId(), from: 'bot', text: text, buttons: buttons });
    var easy = easyFromReply(buttons);
    if (easy !== null) state.easyLanguage = easy;
    saveState();
    showEasyLanguage();
    showHandover();
    renderMessages(false);
  }

  function resetConversation() {
    if (!window.confirm(TEXT.resetConfirm)) return;
    reset();
    input.focus();
  }

  function reset() {
    hideSurvey();
    state = newState();
    saveState();
    showEasyLanguage();
    showHandover();
    setTyping(false);
    renderMessages(true);
    if (socket && socket !== true) {
      socket.disconnect(); // verlässt den Raum der alten Sitzung
      socket.connect(); // neue session_request, danach ggf. Begrüßung
    }
  }

  window.addEventListener('storage', function (event) {
    if (event.key !== STORE_KEY || !panel) return;
    var previous = state.sessionId;
    state = loadState() || newState();
    renderMessages(false);
    showEasyLanguage();
    showHandover();
    if (state.sessionId !== previous && socket && socket !== true && ready) {
      socket.emit('session_request', { session_id: state.sessionId });
    }
  });

  // ---------------------------------------------------------------- Start

  function start() {
    if (!document.body) return;
    buildUi();
    if (config.startOpen || storageGet('sessionStorage', OPEN_KEY)) openPanel(false);
  }

  window.ASSKommWidget = {
    version: VERSION,
    open: function () { if (panel) openPanel(true); },
    close: function () { if (panel) closePanel(true); },
    reset: function () { if (panel) reset(); },
    renderMarkdown: renderMarkdown
  };

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
}());
