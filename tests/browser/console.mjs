// Drives Debian's chromium (headless) through the staff console, as the
// restaurant uses it; run by tests/integration/test_console_browser.py,
// which reads what this prints (one JSON object) and checks the store.
//
//   BASE=http://127.0.0.1:PORT USER=... PASSWORD=... DAY=YYYY-MM-DD
//   GUEST="Ana ..." SHOTS=dir node console.mjs login|flow
import puppeteer from "puppeteer-core";

const env = process.env;
const BASE = env.BASE;
const out = {steps: []};
const step = (name, data) => out.steps.push({name, ...data});

const browser = await puppeteer.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check"],
});

async function text(page, selector) {
  return page.$eval(selector, e => e.textContent);
}

async function waitNotice(page, words) {
  await page.waitForFunction(
    w => document.getElementById("notice").textContent.includes(w),
    {timeout: 15000}, words);
  return text(page, "#notice");
}

async function blocks(page) {
  return page.$$eval(".block", bs => bs.map(b => ({
    id: b.dataset.id, text: b.textContent,
    table: b.closest(".row").dataset.table})));
}

async function clickIn(page, blockText, button) {
  // the block's buttons show on hover; a click from the page is the same
  await page.$$eval(".block", (bs, t, b) => {
    const block = bs.find(x => x.textContent.includes(t));
    block.querySelector("button." + b).click();
  }, blockText, button);
}

try {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  page.on("pageerror", e => step("pageerror", {message: String(e)}));

  if (process.argv[2] === "login") {
    // no session: the console is the login page, the book is refused
    const r = await page.goto(BASE + "/cerebro/", {waitUntil: "load"});
    step("console without a session", {status: r.status(),
      form: !!(await page.$("#login"))});
    const api = await page.evaluate(async () => {
      const r = await fetch("/cerebro/reservations?date=2030-01-01");
      return r.status;
    });
    step("book without a session", {status: api});
    await page.type("#user", env.USER);
    await page.type("#password", "not the password");
    await page.click("#enter");
    await page.waitForFunction(
      () => document.getElementById("error").textContent.length > 0,
      {timeout: 15000});
    step("wrong password", {error: await text(page, "#error"),
                            url: page.url()});
  } else {
    // log in
    await page.goto(BASE + "/cerebro/login", {waitUntil: "load"});
    await page.type("#user", env.USER);
    await page.type("#password", env.PASSWORD);
    await Promise.all([page.waitForNavigation({waitUntil: "load"}),
                       page.click("#enter")]);
    await page.waitForSelector("body[data-ready='1']", {timeout: 15000});
    step("logged in", {url: page.url(), who: await text(page, "#who")});

    // the day of the phone booking
    await page.goto(`${BASE}/cerebro/?date=${env.DAY}`, {waitUntil: "load"});
    await page.waitForSelector("body[data-ready='1']", {timeout: 15000});
    await page.waitForFunction(
      g => [...document.querySelectorAll(".block")]
             .some(b => b.textContent.includes(g)),
      {timeout: 15000}, env.GUEST);
    step("the day", {blocks: await blocks(page),
                     services: await text(page, "#services")});

    // book by hand
    await page.click("button[data-view='reservar']");
    const f = "#book";
    await page.type(`${f} [name=client_name]`, "Berta Mano");
    await page.type(`${f} [name=client_phone]`, "600 555 666");
    await page.$eval(`${f} [name=date]`, (e, d) => { e.value = d; },
                     env.DAY);
    await page.$eval(`${f} [name=time]`, e => { e.value = "21:00"; });
    await page.$eval(`${f} [name=pax]`, e => { e.value = "4"; });
    await page.type(`${f} [name=notes]`, "trona");
    await page.click("#book-go");
    step("booked", {notice: await waitNotice(page, "Reservado")});
    await page.waitForFunction(
      () => [...document.querySelectorAll(".block")]
              .some(b => b.textContent.includes("Berta Mano")),
      {timeout: 15000});
    step("the day after booking", {blocks: await blocks(page)});
    await page.screenshot({path: `${env.SHOTS}/hoy.png`, fullPage: true});

    // move it
    await clickIn(page, "Berta Mano", "move");
    await page.waitForSelector("#move[open]");
    await page.$eval("#move-form [name=time]", e => { e.value = "22:00"; });
    await page.click("#move-go");
    step("moved", {notice: await waitNotice(page, "movida")});
    await page.waitForFunction(
      () => [...document.querySelectorAll(".block")]
              .some(b => b.textContent.includes("22:00 Berta Mano")),
      {timeout: 15000});

    // cancel it
    await clickIn(page, "Berta Mano", "cancel");
    await page.waitForSelector("#cancel[open]");
    await page.click("#cancel-go");
    step("cancelled", {notice: await waitNotice(page, "cancelada")});
    await page.waitForFunction(
      () => ![...document.querySelectorAll(".block")]
               .some(b => b.textContent.includes("Berta Mano")),
      {timeout: 15000});
    step("the day after cancelling", {blocks: await blocks(page)});

    // the outbox: the three confirmations to Berta
    await page.click("button[data-view='mensajes']");
    await page.waitForFunction(
      () => [...document.querySelectorAll("#outbox tbody tr")]
              .filter(r => r.textContent.includes("Berta Mano")).length >= 3,
      {timeout: 15000});
    step("outbox", {rows: await page.$$eval("#outbox tbody tr",
                                            rs => rs.map(r => r.textContent)),
                    counts: await text(page, "#outbox-counts")});
    await page.screenshot({path: `${env.SHOTS}/mensajes.png`,
                           fullPage: true});

    // the call log: the phone call that booked
    await page.click("button[data-view='llamadas']");
    await page.waitForSelector("#calls tbody tr", {timeout: 15000});
    step("calls", {rows: await page.$$eval("#calls tbody tr",
                                           rs => rs.map(r => r.textContent)),
                   summary: await text(page, "#calls-summary")});
    await page.screenshot({path: `${env.SHOTS}/llamadas.png`,
                           fullPage: true});

    // the next days
    await page.click("button[data-view='dias']");
    await page.waitForSelector("#chart-covers svg rect", {timeout: 15000});
    await page.screenshot({path: `${env.SHOTS}/dias.png`, fullPage: true});
    step("next days", {rows: await page.$$eval("#days tbody tr",
                                               rs => rs.length)});
  }
} catch (e) {
  out.error = String(e && e.stack || e);
} finally {
  await browser.close();
}

process.stdout.write(JSON.stringify(out) + "\n");
