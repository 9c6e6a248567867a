// The staff console: the day's book as a timeline, the next days, a guest's
// history, booking, moving and cancelling by hand, the outbox. Everything
// through the JSON endpoints of /cerebro/ with the session's cookie and its
// CSRF token; the data is put in the page as text, never as HTML.
"use strict";

const state = {csrf: "", restaurant: null, tables: [], day: ""};
const SOURCES = {voice: "teléfono", whatsapp: "WhatsApp", staff: "personal"};
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday",
                  "friday", "saturday"];
const DIAS = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes",
              "sábado"];

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "style") e.style.cssText = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) {
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

async function api(method, path, body) {
  const headers = {"X-CSRF-Token": state.csrf};
  const init = {method, headers, credentials: "same-origin"};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  if (r.status === 401) {
    window.location.assign("/cerebro/login");
    throw new Error("sesión caducada");
  }
  const data = await r.json().catch(() => ({}));
  return {status: r.status, ok: r.ok, data};
}

function notice(text, bad) {
  const n = document.getElementById("notice");
  n.textContent = text;
  n.className = bad ? "bad" : "";
}

// ---- dates and the restaurant's hours -------------------------------------

function localToday() {
  const tz = (state.restaurant && state.restaurant.timezone) || undefined;
  return new Intl.DateTimeFormat("en-CA", {timeZone: tz}).format(new Date());
}

function addDays(iso, n) {
  const d = new Date(iso + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function weekday(iso) {
  return new Date(iso + "T12:00:00Z").getUTCDay();
}

function minutes(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

function hhmm(min) {
  min = ((min % 1440) + 1440) % 1440;
  return String(Math.floor(min / 60)).padStart(2, "0") + ":"
         + String(min % 60).padStart(2, "0");
}

function servicesOn(iso) {
  const R = state.restaurant;
  if (!R) return [];
  if ((R.closures || []).some(c => c.date === iso)) return [];
  const special = (R.special_hours || []).find(s => s.date === iso);
  if (special) return special.services || [];
  const name = WEEKDAYS[weekday(iso)];
  if ((R.closed_weekdays || []).includes(name)) return [];
  return (R.services || {})[name] || [];
}

function span(service) {
  const start = minutes(service.start);
  let end = minutes(service.end);
  if (end <= start) end += 1440;
  return [start, end];
}

function turn(pax) {
  const t = (state.restaurant && state.restaurant.turn_times) || {};
  const rule = (t.by_party || []).find(b => pax <= b.max_party);
  return rule ? rule.minutes : (t.default || 120);
}

function active(bookings) {
  return bookings.filter(b => b.status !== "cancelled");
}

// ---- Hoy: the timeline -----------------------------------------------------

async function showDay(iso) {
  state.day = iso;
  document.getElementById("day").value = iso;
  document.getElementById("dayname").textContent =
    `${DIAS[weekday(iso)]} ${Number(iso.slice(8))}`
    + (iso === localToday() ? " (hoy)" : "");
  const r = await api("GET", `/cerebro/reservations?date=${iso}`);
  if (!r.ok) {
    notice(r.data.error || "No se pudo leer el día.", true);
    return;
  }
  const bookings = active(r.data.reservations);
  renderServices(iso, bookings);
  renderTimeline(iso, bookings);
}

function renderServices(iso, bookings) {
  const box = document.getElementById("services");
  box.replaceChildren();
  const services = servicesOn(iso);
  if (!services.length) {
    box.append(el("div", {class: "service"}, "Cerrado"));
    return;
  }
  const pacing = state.restaurant.pacing || {};
  const slot = pacing.slot_minutes || 15;
  for (const s of services) {
    const [start, end] = span(s);
    const inside = bookings.filter(b => {
      let t = minutes(b.time);
      if (t < start) t += 1440;
      return t >= start && t < end;
    });
    const covers = inside.reduce((n, b) => n + b.pax, 0);
    const slots = {};
    for (const b of inside) {
      const k = Math.floor(minutes(b.time) / slot);
      slots[k] = (slots[k] || 0) + b.pax;
    }
    const peak = Math.max(0, ...Object.values(slots));
    const max = pacing.max_covers_per_slot;
    box.append(el("div", {class: "service", "data-service": s.name},
      el("strong", {}, s.name), ` ${s.start}–${s.end}: `,
      el("span", {class: "covers"}, `${covers} cubiertos`),
      ` en ${inside.length} reservas · pico `,
      el("span", {class: max && peak > max ? "over" : ""},
         `${peak}/${max || "—"}`), ` por ${slot} min`));
  }
}

function renderTimeline(iso, bookings) {
  const box = document.getElementById("timeline");
  box.replaceChildren();
  const services = servicesOn(iso);
  let t0 = services.length ? Math.min(...services.map(s => span(s)[0]))
                           : 12 * 60;
  let t1 = services.length ? Math.max(...services.map(s => span(s)[1]))
                           : 24 * 60;
  for (const b of bookings) {
    const t = minutes(b.time);
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t + turn(b.pax));
  }
  t0 = Math.floor(t0 / 60) * 60;
  t1 = Math.ceil(t1 / 60) * 60;
  const pct = m => `${((m - t0) / (t1 - t0)) * 100}%`;

  const hours = el("div", {class: "lane"});
  for (let h = t0; h < t1; h += 60) {
    hours.append(el("span", {style: `left:${pct(h)}`}, hhmm(h)));
  }
  box.append(el("div", {class: "row hours"}, el("div", {class: "name"}),
                hours));

  for (const table of state.tables) {
    const lane = el("div", {class: "lane"});
    for (const b of bookings) {
      if (!(b.table || "").split("+").includes(table.name)) continue;
      const start = minutes(b.time);
      const end = start + turn(b.pax);
      const src = SOURCES[b.source] ? b.source : "staff";
      lane.append(el("div", {
          class: `block src-${src}`, "data-id": b.id, tabindex: "0",
          style: `left:${pct(start)};width:${pct(t0 + end - start)}`,
          title: `${b.client_name} · ${b.pax} pers. · ${b.client_phone}`
                 + ` · ${b.time}–${hhmm(end)} · ${SOURCES[src]}`
                 + (b.notes ? ` · ${b.notes}` : "")},
        el("b", {}, `${b.time} ${b.client_name}`),
        el("span", {}, `${b.pax} pers. · ${b.client_phone}`),
        b.notes ? el("div", {class: "notes"}, b.notes) : null,
        el("div", {class: "src"}, SOURCES[src]),
        el("div", {class: "act"},
           el("button", {class: "move", onclick: () => openMove(b)},
              "Mover"),
           el("button", {class: "cancel", onclick: () => openCancel(b)},
              "Cancelar"))));
    }
    box.append(el("div", {class: "row", "data-table": table.name},
      el("div", {class: "name"}, table.name,
         el("small", {}, `${table.capacity_min}–${table.capacity_max} · `
                         + table.location)), lane));
  }
}

// ---- move and cancel -------------------------------------------------------

function alternativesText(data) {
  const alts = (data.alternatives || [])
    .map(a => `${a.date} ${a.time}` + (a.table ? ` (${a.table})` : ""));
  return (data.error || "No es posible.")
         + (alts.length ? ` Alternativas: ${alts.join(", ")}.` : "");
}

function openMove(b) {
  const d = document.getElementById("move");
  const f = document.getElementById("move-form");
  document.getElementById("move-name").textContent = b.client_name;
  document.getElementById("move-error").textContent = "";
  f.date.value = b.date;
  f.time.value = b.time;
  f.pax.value = b.pax;
  d.onclose = async () => {
    if (d.returnValue !== "ok") return;
    const change = {date: f.date.value, time: f.time.value};
    if (Number(f.pax.value) !== b.pax) change.pax = Number(f.pax.value);
    const r = await api("PATCH", `/cerebro/reservations/${b.id}`, change);
    if (r.ok) {
      const n = r.data.reservation;
      notice(`Reserva de ${n.client_name} movida al ${n.date} a las `
             + `${n.time} (mesa ${n.table}); avisado por WhatsApp.`);
    } else {
      notice(alternativesText(r.data), true);
    }
    showDay(state.day);
  };
  d.showModal();
}

function openCancel(b) {
  const d = document.getElementById("cancel");
  document.getElementById("cancel-name").textContent =
    `${b.client_name} (${b.time}, ${b.pax} pers.)`;
  d.onclose = async () => {
    if (d.returnValue !== "ok") return;
    const r = await api("DELETE", `/cerebro/reservations/${b.id}`);
    notice(r.ok ? `Reserva de ${b.client_name} cancelada; avisado por `
                  + "WhatsApp."
                : (r.data.error || "No se pudo cancelar."), !r.ok);
    showDay(state.day);
  };
  d.showModal();
}

// ---- book by hand ----------------------------------------------------------

async function book(ev) {
  if (ev) ev.preventDefault();
  const f = document.getElementById("book");
  const alts = document.getElementById("alternatives");
  alts.replaceChildren();
  const body = {client_name: f.client_name.value,
                client_phone: f.client_phone.value, date: f.date.value,
                time: f.time.value, pax: Number(f.pax.value)};
  if (f.notes.value) body.notes = f.notes.value;
  const r = await api("POST", "/cerebro/reservations", body);
  if (r.ok) {
    const n = r.data.reservation;
    notice(`Reservado: ${n.client_name}, ${n.date} a las ${n.time}, mesa `
           + `${n.table}; confirmación enviada por WhatsApp.`);
    f.reset();
    show("hoy");
    showDay(n.date);
    return;
  }
  notice(r.data.error || "No se pudo reservar.", true);
  for (const a of r.data.alternatives || []) {
    alts.append(el("button", {type: "button", class: "alternative",
      onclick: () => { f.date.value = a.date; f.time.value = a.time;
                       book(); }},
      `${a.date} ${a.time}` + (a.table ? ` · ${a.table}` : "")));
  }
}

// ---- the next days, with charts --------------------------------------------

async function showDays() {
  const from = localToday();
  const days = Array.from({length: 14}, (_, i) => addDays(from, i));
  const answers = await Promise.all(days.map(
    d => api("GET", `/cerebro/reservations?date=${d}`)));
  const rows = days.map((d, i) => {
    const list = answers[i].ok ? active(answers[i].data.reservations) : [];
    const by = s => list.filter(b => (SOURCES[b.source] ? b.source : "staff")
                                      === s).length;
    return {day: d, count: list.length,
            covers: list.reduce((n, b) => n + b.pax, 0),
            voice: by("voice"), whatsapp: by("whatsapp"), staff: by("staff")};
  });
  const tbody = document.querySelector("#days tbody");
  tbody.replaceChildren(...rows.map(r => el("tr", {},
    el("td", {}, el("a", {href: "#", onclick: e => { e.preventDefault();
      show("hoy"); showDay(r.day); }},
      `${DIAS[weekday(r.day)]} ${r.day}`)),
    el("td", {}, r.count), el("td", {}, r.covers), el("td", {}, r.voice),
    el("td", {}, r.whatsapp), el("td", {}, r.staff))));
  chartCovers(rows);
  chartSources(rows);
}

function chartCovers(rows) {
  const W = 700, H = 160, pad = 24;
  const max = Math.max(1, ...rows.map(r => r.covers));
  const bw = (W - pad) / rows.length;
  const g = svg("svg", {viewBox: `0 0 ${W} ${H + 30}`, width: "100%",
                        role: "img", "aria-label": "Cubiertos por día"});
  g.append(svg("text", {x: 0, y: 12}, "Cubiertos por día"));
  rows.forEach((r, i) => {
    const h = (r.covers / max) * (H - 30);
    g.append(svg("rect", {x: pad + i * bw + 2, y: H - h, width: bw - 4,
                          height: h, fill: "#2f6fdf"}));
    g.append(svg("text", {x: pad + i * bw + bw / 2 - 6, y: H - h - 3},
                 String(r.covers)));
    g.append(svg("text", {x: pad + i * bw + 2, y: H + 14},
                 r.day.slice(8)));
  });
  document.getElementById("chart-covers").replaceChildren(g);
}

function chartSources(rows) {
  const total = {voice: 0, whatsapp: 0, staff: 0};
  for (const r of rows) for (const k in total) total[k] += r[k];
  const sum = Math.max(1, total.voice + total.whatsapp + total.staff);
  const W = 700, colors = {voice: "#2f6fdf", whatsapp: "#1f9d55",
                           staff: "#b7651f"};
  const g = svg("svg", {viewBox: `0 0 ${W} 50`, width: "100%", role: "img",
                        "aria-label": "Reservas por origen"});
  g.append(svg("text", {x: 0, y: 12}, "Reservas por origen"));
  let x = 0;
  for (const k of ["voice", "whatsapp", "staff"]) {
    const w = (total[k] / sum) * W;
    g.append(svg("rect", {x, y: 18, width: w, height: 14,
                          fill: colors[k]}));
    if (total[k]) {
      g.append(svg("text", {x: x + 3, y: 46},
        `${SOURCES[k]} ${Math.round(100 * total[k] / sum)} %`));
    }
    x += w;
  }
  document.getElementById("chart-sources").replaceChildren(g);
}

// ---- a guest, the outbox ---------------------------------------------------

async function showGuest(ev) {
  ev.preventDefault();
  const phone = document.getElementById("guest-phone").value;
  const r = await api("GET", "/cerebro/reservations?phone="
                             + encodeURIComponent(phone));
  const tbody = document.querySelector("#guest tbody");
  if (!r.ok) {
    notice(r.data.error || "No se pudo buscar.", true);
    tbody.replaceChildren();
    return;
  }
  tbody.replaceChildren(...r.data.reservations.map(b => el("tr", {},
    el("td", {}, b.date), el("td", {}, b.time), el("td", {}, b.client_name),
    el("td", {}, b.pax), el("td", {}, b.table), el("td", {}, b.status),
    el("td", {}, b.notes))));
  if (!r.data.reservations.length) notice("Sin reservas próximas.");
}

async function showOutbox() {
  const r = await api("GET", "/cerebro/outbox");
  const tbody = document.querySelector("#outbox tbody");
  if (!r.ok) {
    notice(r.data.error || "No se pudo leer el buzón.", true);
    return;
  }
  const msgs = r.data.messages || [];
  const count = s => msgs.filter(m => m.status === s).length;
  document.getElementById("outbox-counts").textContent =
    `${msgs.length} mensajes · ${count("pending")} pendientes · `
    + `${count("failed")} fallidos`;
  tbody.replaceChildren(...msgs.map(m => el("tr",
    {class: `status-${m.status}`, "data-id": m.id},
    el("td", {}, new Date(m.created * 1000).toLocaleString("es-ES")),
    el("td", {}, m.to), el("td", {}, m.kind),
    el("td", {}, m.delivery || m.status), el("td", {}, m.attempts),
    el("td", {}, m.last_error || m.error_code || "",
       m.status === "failed" && m.body
         ? el("button", {class: "resend", onclick: () => resend(m)},
              "Reenviar") : null),
    el("td", {}, m.body || m.template_sid || ""))));
}

async function resend(m) {
  const r = await api("POST", "/cerebro/outbox", {resend: m.id});
  notice(r.ok ? `Mensaje a ${m.to} en cola otra vez.`
              : (r.data.error || "No se pudo reenviar."), !r.ok);
  showOutbox();
}

// ---- the call log -----------------------------------------------------------

function localDay(seconds) {
  const tz = state.restaurant.timezone;
  return new Intl.DateTimeFormat("en-CA", {timeZone: tz})
    .format(new Date(seconds * 1000));
}

async function showCalls() {
  const r = await api("GET", "/cerebro/calls?days=14");
  const tbody = document.querySelector("#calls tbody");
  if (!r.ok) {
    notice(r.data.error || "No se pudo leer el registro de llamadas.", true);
    tbody.replaceChildren();
    return;
  }
  const calls = r.data.calls;
  const outcome = c => [c.booked && "reservó", c.changed && "cambió",
                        c.cancelled && "canceló"].filter(Boolean).join(", ")
                       || "—";
  tbody.replaceChildren(...calls.map(c => el("tr", {},
    el("td", {}, new Date(c.started * 1000).toLocaleString("es-ES",
      {timeZone: state.restaurant.timezone})),
    el("td", {}, c.caller), el("td", {},
      `${Math.floor(c.duration_s / 60)}:`
      + String(c.duration_s % 60).padStart(2, "0")),
    el("td", {}, c.ended_reason), el("td", {}, outcome(c)),
    el("td", {}, c.summary))));
  const booked = calls.filter(c => c.booked).length;
  document.getElementById("calls-summary").textContent =
    `${calls.length} llamadas en 14 días; ${booked} terminaron en reserva`
    + (calls.length ? ` (${Math.round(100 * booked / calls.length)} %).`
                    : ".");
  const from = addDays(localToday(), -13);
  const days = Array.from({length: 14}, (_, i) => addDays(from, i));
  const per = days.map(d => {
    const of = calls.filter(c => localDay(c.started) === d);
    return {day: d, calls: of.length, booked: of.filter(c => c.booked).length};
  });
  const W = 700, H = 160, pad = 24, bw = (W - pad) / per.length;
  const max = Math.max(1, ...per.map(p => p.calls));
  const g = svg("svg", {viewBox: `0 0 ${W} ${H + 30}`, width: "100%",
                        role: "img", "aria-label": "Llamadas por día"});
  g.append(svg("text", {x: 0, y: 12},
               "Llamadas por día (verde: terminaron en reserva)"));
  per.forEach((p, i) => {
    const h = (p.calls / max) * (H - 30);
    const hb = (p.booked / max) * (H - 30);
    g.append(svg("rect", {x: pad + i * bw + 2, y: H - h, width: bw - 4,
                          height: h, fill: "#9aa7bd"}));
    g.append(svg("rect", {x: pad + i * bw + 2, y: H - hb, width: bw - 4,
                          height: hb, fill: "#1f9d55"}));
    g.append(svg("text", {x: pad + i * bw + 2, y: H + 14},
                 p.day.slice(8)));
  });
  document.getElementById("chart-calls").replaceChildren(g);
}

// ---- the waiting list -------------------------------------------------------

const WAIT_STATUS = {waiting: "esperando", offered: "ofrecida",
                     booked: "reservó", declined: "dijo que no",
                     passed: "no contestó", left: "se dio de baja",
                     expired: "caducó"};

function hhmm(minutes) {
  return String(Math.floor(minutes / 60)).padStart(2, "0") + ":"
         + String(minutes % 60).padStart(2, "0");
}

async function showWaitlist() {
  const r = await api("GET", "/cerebro/waitlist");
  const tbody = document.querySelector("#waitlist tbody");
  if (!r.ok) {
    notice(r.data.error || "No se pudo leer la lista de espera.", true);
    tbody.replaceChildren();
    return;
  }
  tbody.replaceChildren(...r.data.waitlist.map(w => el("tr",
    {class: `status-${w.status}`},
    el("td", {}, w.date),
    el("td", {}, w.time_to > w.time_from
      ? `${hhmm(w.time_from)}–${hhmm(w.time_to)}` : hhmm(w.time_from)),
    el("td", {}, w.name), el("td", {}, w.phone),
    el("td", {}, w.party_size),
    el("td", {}, WAIT_STATUS[w.status] || w.status),
    el("td", {}, w.offer_table
      ? `${w.offer_table} a las ${w.offer_time}` : ""))));
}

// ---- the page --------------------------------------------------------------

function show(view) {
  for (const t of document.querySelectorAll(".tab")) {
    t.classList.toggle("on", t.dataset.view === view);
  }
  for (const v of document.querySelectorAll(".view")) {
    v.classList.toggle("on", v.id === view);
  }
  if (view === "dias") showDays();
  if (view === "mensajes") showOutbox();
  if (view === "llamadas") showCalls();
  if (view === "espera") showWaitlist();
}

async function start() {
  const me = await api("GET", "/cerebro/session");
  state.csrf = me.data.csrf || "";
  document.getElementById("who").textContent = me.data.user || "";
  const [restaurant, tables] = await Promise.all([
    api("GET", "/cerebro/restaurant"), api("GET", "/cerebro/tables")]);
  state.restaurant = restaurant.data;
  state.tables = tables.data.tables || [];

  for (const t of document.querySelectorAll(".tab")) {
    t.addEventListener("click", () => show(t.dataset.view));
  }
  document.getElementById("prev").onclick = () =>
    showDay(addDays(state.day, -1));
  document.getElementById("next").onclick = () =>
    showDay(addDays(state.day, 1));
  document.getElementById("today").onclick = () => showDay(localToday());
  document.getElementById("day").onchange = e => showDay(e.target.value);
  document.getElementById("book").addEventListener("submit", book);
  document.getElementById("guest-form").addEventListener("submit",
                                                        showGuest);
  document.getElementById("outbox-reload").onclick = showOutbox;
  document.getElementById("logout").onclick = async () => {
    await api("DELETE", "/cerebro/session");
    window.location.assign("/cerebro/login");
  };
  document.querySelector("#book [name=date]").value = localToday();

  const wanted = new URLSearchParams(window.location.search).get("date");
  await showDay(wanted || localToday());
  document.body.dataset.ready = "1";
}

start();
