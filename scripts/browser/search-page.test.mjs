// Loads the voc search page in Debian's headless Chromium, searches the planted phrase
// and checks what a person would see: highlighted hits, facet counts, the weekly chart,
// a parse error pointing at its position. Saves a screenshot.
//   node search-page.test.mjs http://127.0.0.1:PORT/ OUT_DIR
import { Checks, launch } from "./checks.mjs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [url, outDir = "."] = process.argv.slice(2);
const PHRASE = process.env.VOC_PHRASE || "光猫指示灯一直闪红灯";
mkdirSync(outDir, { recursive: true });

const checks = new Checks();
const check = checks.check.bind(checks);

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 }, locale: "zh-CN" });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(url.replace(/\/$/, ""))) external.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(url, { waitUntil: "networkidle" });
  check("page title is Chinese", (await page.title()).includes("投诉检索"), await page.title());
  await page.waitForSelector("#docs:not(:empty)", { timeout: 15000 });
  check("index size shown", /索引共 [\d,]+ 条/.test(await page.textContent("#docs")), await page.textContent("#docs"));

  await page.fill("#q", `"${PHRASE}"`);
  await page.click("#search-button");
  // Wait for the answer to this query, not to the search the page ran when it opened.
  await page.waitForFunction((q) => document.querySelector("#total").dataset.query === q, `"${PHRASE}"`, { timeout: 15000 });
  await page.waitForSelector("#hits li.hit", { timeout: 15000 });
  const total = await page.textContent("#total");
  const count = Number((total.match(/共 ([\d,]+) 条/) || [])[1]?.replace(/,/g, "") || 0);
  check("hits for the planted phrase", count > 0, total);
  const marked = await page.$$eval("#hits .snippet b", (bs) => bs.map((b) => b.textContent));
  check("matches highlighted in snippets", marked.length > 0 && marked.every((m) => PHRASE.includes(m)), marked.slice(0, 6).join(" "));
  const firstHit = await page.textContent("#hits li.hit .snippet");
  check("snippet contains the phrase", firstHit.replace(/\s/g, "").includes(PHRASE), firstHit.slice(0, 80));
  const facetTitles = await page.$$eval("#facets h3", (hs) => hs.map((h) => h.textContent));
  check("facet groups shown", ["分类", "渠道", "地区"].every((t) => facetTitles.includes(t)), facetTitles.join(","));
  const facetSum = await page.$$eval('#facets ul[data-field="channel"] .count', (cs) => cs.reduce((s, c) => s + Number(c.textContent.replace(/,/g, "")), 0));
  check("channel facet counts add up to the total", facetSum === count, `${facetSum} vs ${count}`);
  // Named by the server (as the report and exports name them), never the stored codes.
  const channelNames = await page.$$eval('#facets ul[data-field="channel"] li', (ls) => ls.map((l) => l.firstChild.textContent));
  check("channels named in Chinese, as in the report", channelNames.length > 0 && channelNames.every((n) => /[\u4e00-\u9fff]|APP/.test(n)), channelNames.join(","));
  const bars = await page.$$eval("#chart svg rect", (rs) => rs.length);
  check("weekly chart drawn", bars > 0, `${bars} bars`);
  await page.screenshot({ path: join(outDir, "search-page.png"), fullPage: false });

  // A facet click narrows the result.
  await page.click('#facets ul[data-field="channel"] li');
  await page.waitForFunction((before) => document.querySelector("#total").textContent !== before, total, { timeout: 15000 }).catch(() => {});
  const narrowed = await page.textContent("#total");
  const narrowedCount = Number((narrowed.match(/共 ([\d,]+) 条/) || [])[1]?.replace(/,/g, "") || -1);
  check("facet click filters", narrowedCount > 0 && narrowedCount <= count, narrowed);

  // The topics `voc discover` found: a facet with labels and counts; a click filters
  // by the topic (the whole index, so every topic is listed).
  await page.click("#clear");
  await page.fill("#q", "");
  await page.click("#search-button");
  await page.waitForFunction(() => document.querySelector("#total").dataset.query === "", null, { timeout: 15000 });
  await page.waitForSelector('#facets ul[data-field="topic"] li', { timeout: 15000 });
  const topicItems = await page.$$eval('#facets ul[data-field="topic"] li', (ls) => ls.map((l) => ({ id: l.dataset.id, label: l.firstChild.textContent, count: Number(l.lastChild.textContent.replace(/,/g, "")) })));
  check("topic facet lists labelled topics with counts", topicItems.length > 0 && topicItems.every((t) => /^T\d{4}$/.test(t.id) && t.label && t.count > 0), JSON.stringify(topicItems.slice(0, 3)));
  const allTotal = await page.textContent("#total");
  await page.click('#facets ul[data-field="topic"] li');
  await page.waitForFunction((before) => document.querySelector("#total").textContent !== before, allTotal, { timeout: 15000 }).catch(() => {});
  const byTopic = await page.textContent("#total");
  const byTopicCount = Number((byTopic.match(/共 ([\d,]+) 条/) || [])[1]?.replace(/,/g, "") || -1);
  check("topic facet click filters to the topic's count", byTopicCount === topicItems[0].count, `${byTopic} vs ${topicItems[0].count}`);
  check("topic chip shown", (await page.textContent("#topic-filter")).includes(topicItems[0].id), await page.textContent("#topic-filter"));

  // A malformed query shows where it went wrong.
  await page.fill("#q", "(断网 OR");
  await page.click("#search-button");
  await page.waitForSelector("#error:not([hidden])", { timeout: 15000 });
  const error = await page.textContent("#error");
  check("parse error in Chinese with its position", error.includes("第 7 个字符处") && error.includes("OR / AND 后缺少检索词") && error.includes("^"), error.replace(/\n/g, " | "));
  await page.screenshot({ path: join(outDir, "search-error.png") });

  check("no request left the server", external.length === 0, external.join(" "));
  check("no script errors", errors.length === 0, errors.join(" | "));
} finally {
  await browser.close();
}
checks.finish();
