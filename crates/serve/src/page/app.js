// The search page: plain DOM code, no framework and nothing fetched from elsewhere.
// Everything shown from the API goes in through textContent, except the snippets,
// which the server HTML-escapes and marks with <b>.
"use strict";

// How values are named (channels, sentiment, flags): sent by the server with every
// search, the same names as the report and exports, the pipeline's channel names included.
let LABELS = {};
// `topic`: the topics `voc discover` found, listed only when the output folder has them.
const FACET_TITLES = { category: "分类", topic: "话题", channel: "渠道", region: "地区", business: "业务", sentiment: "情感", risk: "风险" };
const FILTERS = ["channel", "region", "business", "sentiment", "risk", "last"];
const PAGE_SIZE = 20;

const $ = (id) => document.getElementById(id);
const state = { q: "", sort: "relevance", page: 1, category: "", topic: "" };
let token = sessionStorage.getItem("voc-token") || "";

function label(field, value) {
  return (LABELS[field] && LABELS[field][value]) || value;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child == null) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function params(extra) {
  const p = new URLSearchParams();
  p.set("q", state.q);
  p.set("sort", state.sort);
  for (const f of FILTERS) {
    const v = $("f-" + f).value;
    if (v) p.set(f, v);
  }
  if (state.category) p.set("category", state.category);
  if (state.topic) p.set("topic", state.topic);
  if ($("f-from").value) p.set("from", $("f-from").value);
  if ($("f-to").value) p.set("to", $("f-to").value);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p;
}

async function api(path, p) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const response = await fetch(path + "?" + p.toString(), { headers });
  if (response.status === 401) {
    $("token-box").hidden = false;
    throw new Error("需要访问令牌");
  }
  return response;
}

// The API's parse errors are in English (as on the CLI); the page names the problem in
// Chinese first and keeps the English detail after it.
const ERROR_HINTS = [
  [/closing '"'/, "引号没有闭合"],
  [/to close the range/, "日期范围的括号没有闭合"],
  [/expected a range like/, "日期范围应写成 [2026-10-01 TO 2026-10-31]"],
  [/expected '\)'|to close the '\('/, "括号没有闭合"],
  [/unexpected '\)'/, "多余的右括号"],
  [/unknown field/, "未知字段"],
  [/expected a value/, "字段名后缺少取值（冒号后不能有空格）"],
  [/after OR|after AND/, "OR / AND 后缺少检索词"],
  [/expected a word/, "此处缺少检索词"],
  [/characters long/, "检索式太长"],
  [/unknown parameter/, "未知参数"],
  [/at most \d+ is allowed|deeper than/, "页码或每页条数超出范围"],
];

function errorHint(message) {
  const found = ERROR_HINTS.find(([pattern]) => pattern.test(message || ""));
  return found ? found[1] : "检索式有误";
}

function showError(error) {
  const box = $("error");
  box.hidden = false;
  box.textContent = "";
  const message = (error && error.message) || String(error);
  if (error && error.position && error.query) {
    // Point at the character the parser stopped at; CJK characters are two columns wide.
    const chars = Array.from(error.query);
    const pad = chars
      .slice(0, Math.max(0, error.position - 1))
      .map((c) => (/[\u2e80-\uffef]/.test(c) ? "\u3000" : " "))
      .join("");
    box.append(`检索式第 ${error.position} 个字符处有误：${errorHint(message)}\n${chars.join("")}\n${pad}^\n（${message}）`);
  } else if (error && error.message) {
    box.append(`出错了：${errorHint(message)}（${message}）`);
  } else {
    box.append("出错了：" + message);
  }
}

// Searches are numbered so that a slow answer to an earlier one (the search the page
// runs when it opens, a filter changed twice) never overwrites the latest.
let latestSearch = 0;

async function search() {
  const mine = ++latestSearch;
  const query = state.q;
  $("error").hidden = true;
  $("search-button").disabled = true;
  try {
    const p = params({ offset: String((state.page - 1) * PAGE_SIZE), size: String(PAGE_SIZE), facets: "1" });
    const response = await api("/api/search", p);
    const body = await response.json();
    if (mine !== latestSearch) return;
    if (!response.ok) {
      showError(body.error);
      return;
    }
    render(body);
    // Which query the results on screen answer (for tests and tools reading the page).
    $("total").dataset.query = query;
    history.replaceState(null, "", "?q=" + encodeURIComponent(state.q));
  } catch (e) {
    if (mine === latestSearch) showError(e);
  } finally {
    if (mine === latestSearch) $("search-button").disabled = false;
  }
}

function render(body) {
  if (body.labels) LABELS = body.labels;
  $("total").textContent = "共 " + body.total.toLocaleString("zh-CN") + " 条命中" + (body.newest ? "（数据截至 " + body.newest + "）" : "");
  const hits = $("hits");
  hits.textContent = "";
  body.hits.forEach((hit, i) => {
    const sentimentClass = hit.sentiment === "negative" ? "tag neg" : hit.sentiment === "positive" ? "tag pos" : "tag";
    const meta = el("div", { class: "meta" },
      el("span", { class: "id" }, String(body.offset + i + 1) + ". " + hit.id),
      el("span", {}, hit.started_at.slice(0, 16).replace("T", " ")),
      el("span", {}, label("channel", hit.channel)),
      el("span", {}, [hit.region, hit.business].filter(Boolean).join(" · ")),
      ...hit.categories.map((c) => el("span", { class: "tag" }, c)),
      el("span", { class: sentimentClass }, label("sentiment", hit.sentiment)),
      ...hit.risk.map((r) => el("span", { class: "tag risk" }, label("risk", r))));
    const snippet = el("div", { class: "snippet" });
    snippet.innerHTML = hit.snippet_html; // escaped by the server; only <b> marks
    hits.append(el("li", { class: "hit" }, meta, snippet));
  });
  if (body.hits.length === 0) hits.append(el("li", { class: "muted" }, "没有找到匹配的记录。"));
  const pages = Math.max(1, Math.ceil(Math.min(body.total, 10000) / PAGE_SIZE));
  $("page-info").textContent = "第 " + state.page + " / " + pages + " 页";
  $("prev").disabled = state.page <= 1;
  $("next").disabled = state.page >= pages;
  $("export-csv").disabled = body.total === 0;
  $("export-xlsx").disabled = body.total === 0;
  renderFacets(body.facets || {});
  renderChart((body.facets && body.facets.week) || []);
}

function renderFacets(facets) {
  const aside = $("facets");
  aside.textContent = "";
  for (const field of Object.keys(FACET_TITLES)) {
    const list = facets[field] || [];
    if (list.length === 0) continue;
    const ul = el("ul", { class: "facet", "data-field": field });
    for (const item of list.slice(0, field === "category" ? 40 : 15)) {
      if (field === "topic") {
        // A topic is shown by its label and chosen by its id.
        const li = el("li", { title: "只看话题：" + item.id, "data-id": item.id },
          el("span", {}, item.label || item.id),
          el("span", { class: "count" }, item.count.toLocaleString("zh-CN")));
        li.addEventListener("click", () => applyFacet(field, item.id, item.label || item.id));
        ul.append(li);
        continue;
      }
      const sub = field === "category" && item.value.includes("/");
      const li = el("li", { class: sub ? "sub" : "", title: "只看：" + item.value },
        el("span", {}, sub ? item.value.split("/").slice(1).join("/") : label(field, item.value)),
        el("span", { class: "count" }, item.count.toLocaleString("zh-CN")));
      li.addEventListener("click", () => applyFacet(field, item.value));
      ul.append(li);
    }
    if (field === "category") {
      // Parents first, each followed by its children.
      const items = Array.from(ul.children);
      items.sort((a, b) => {
        const va = a.title.slice(3), vb = b.title.slice(3);
        const pa = va.split("/")[0], pb = vb.split("/")[0];
        if (pa !== pb) return countOf(list, pb) - countOf(list, pa) || pa.localeCompare(pb);
        return (va.includes("/") ? 1 : 0) - (vb.includes("/") ? 1 : 0) || countOf(list, vb) - countOf(list, va);
      });
      items.forEach((li) => ul.append(li));
    }
    aside.append(el("h3", {}, FACET_TITLES[field]), ul);
  }
}

function countOf(list, value) {
  const item = list.find((x) => x.value === value);
  return item ? item.count : 0;
}

function applyFacet(field, value, text) {
  if (field === "topic") {
    state.topic = value;
    const chip = $("topic-filter");
    chip.hidden = false;
    chip.textContent = "话题：" + text + "（" + value + "） ✕";
  } else if (field === "category") {
    state.category = value;
    const chip = $("category-filter");
    chip.hidden = false;
    chip.textContent = "分类：" + value + " ✕";
  } else {
    ensureOption($("f-" + field), value, label(field, value));
    $("f-" + field).value = value;
  }
  state.page = 1;
  search();
}

function ensureOption(select, value, text) {
  if (!Array.from(select.options).some((o) => o.value === value)) select.append(el("option", { value }, text));
}

function renderChart(weeks) {
  const box = $("chart");
  box.textContent = "";
  if (weeks.length === 0) return;
  const ns = "http://www.w3.org/2000/svg";
  const width = 800, height = 140, left = 36, bottom = 20, top = 10;
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "每周命中量");
  const step = (width - left) / weeks.length;
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    svg.append(node);
    return node;
  };
  add("text", { x: 0, y: top + 8 }, String(max));
  add("text", { x: 0, y: height - bottom }, "0");
  const every = Math.ceil(weeks.length / 12);
  weeks.forEach((w, i) => {
    const h = ((height - top - bottom) * w.count) / max;
    const rect = add("rect", { x: left + i * step + 1, y: height - bottom - h, width: Math.max(1, step - 2), height: h });
    const title = document.createElementNS(ns, "title");
    title.textContent = w.value + "：" + w.count;
    rect.append(title);
    if (i % every === 0) add("text", { x: left + i * step, y: height - 5 }, w.value.slice(5));
  });
  box.append(svg);
}

async function exportHits(format) {
  try {
    const response = await api("/api/export", params({ format }));
    if (!response.ok) {
      showError((await response.json()).error);
      return;
    }
    const blob = await response.blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: "检索结果." + format });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) {
    showError(e);
  }
}

async function loadFilterOptions() {
  // Options come from the facets of the whole index, so they list what exists.
  const response = await api("/api/search", new URLSearchParams({ q: "", size: "0", facets: "1" }));
  if (!response.ok) return;
  const body = await response.json();
  if (body.labels) LABELS = body.labels;
  $("docs").textContent = "索引共 " + body.total.toLocaleString("zh-CN") + " 条联络记录";
  for (const field of ["channel", "region", "business", "sentiment", "risk"]) {
    for (const item of (body.facets && body.facets[field]) || []) ensureOption($("f-" + field), item.value, label(field, item.value));
  }
}

function start() {
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.q = $("q").value;
    state.sort = $("sort").value;
    state.page = 1;
    search();
  });
  for (const f of FILTERS) $("f-" + f).addEventListener("change", () => { state.page = 1; search(); });
  for (const f of ["from", "to"]) $("f-" + f).addEventListener("change", () => { state.page = 1; search(); });
  $("sort").addEventListener("change", () => { state.sort = $("sort").value; state.page = 1; search(); });
  $("category-filter").addEventListener("click", () => {
    state.category = "";
    $("category-filter").hidden = true;
    search();
  });
  $("topic-filter").addEventListener("click", () => {
    state.topic = "";
    $("topic-filter").hidden = true;
    search();
  });
  $("clear").addEventListener("click", () => {
    for (const f of FILTERS) $("f-" + f).value = "";
    $("f-from").value = "";
    $("f-to").value = "";
    state.category = "";
    $("category-filter").hidden = true;
    state.topic = "";
    $("topic-filter").hidden = true;
    search();
  });
  $("prev").addEventListener("click", () => { state.page -= 1; search(); });
  $("next").addEventListener("click", () => { state.page += 1; search(); });
  $("export-csv").addEventListener("click", () => exportHits("csv"));
  $("export-xlsx").addEventListener("click", () => exportHits("xlsx"));
  $("token-save").addEventListener("click", () => {
    token = $("token").value;
    sessionStorage.setItem("voc-token", token);
    $("token-box").hidden = true;
    loadFilterOptions().then(search);
  });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) $("q").value = initial;
  state.q = $("q").value;
  loadFilterOptions().then(search).catch(showError);
}

start();
