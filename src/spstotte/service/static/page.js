// The page to try the rules. Everything it shows comes from this server's API; text from the
// API is inserted with textContent only. The letter and the rulebook (HTML the server renders
// and escapes) go into sandboxed iframes through srcdoc, where no script runs.

const UI = {
  da: {
    doc_title: "spstotte – prøv reglerne",
    title: "Socialpædagogisk støtte (§ 85) og straksforløb (§ 82 b)",
    lang_switch: "English", lang_switch_lang: "en",
    tab_decide: "Afgør en sag", tab_rulebook: "Regelsæt",
    case: "Sagen", municipality: "Kommune", decision_date: "Afgørelsesdato",
    profile: "Borgeren",
    unknown_note: "Et felt, der står som »ukendt«, sendes ikke med: det betyder, at " +
      "oplysningen mangler, ikke »nej«.",
    submit: "Afgør", deciding: "Afgør …", decided: "Afgjort.",
    unknown: "ukendt", yes: "ja", no: "nej",
    list_state: "Oplyst", list_unknown: "ukendt",
    list_known: "som afkrydset herunder (intet afkrydset = ingen)",
    living_situation: "Boform og ophold",
    municipality_hint: "Kommunekode (fx 265) eller navn; »none« hvis ingen myndighed.",
    reasons: "Begrundelse", missing: "Manglende oplysninger",
    trail: "Sporet: hver regel, der nåede en konklusion", letter: "Udkast til brev",
    rulebook_note: "Regelsættet for den valgte kommune på afgørelsesdatoen.",
    not_final: "Ikke endelig: en konkret vurdering eller hovedhensyn mangler.",
    final: "Endelig: ingen konkret vurdering eller hovedhensyn mangler.",
    decided_for: "{municipality} Kommune, afgørelsesdato {date}",
    versions: "Regelsættets versioner: {list}", open_end: "…",
    met: "opfyldt", not_met: "ikke opfyldt", read: "læste", legal_basis: "Hjemmel",
    load_failed: "Siden kunne ikke hente sine data fra serveren: ",
    request_failed: "Serveren svarede ikke som ventet: ",
    profile_errors: "Profilen har fejl:",
  },
  en: {
    doc_title: "spstotte – try the rules",
    title: "Socio-pedagogical support (s. 85) and rapid-response courses (s. 82 b)",
    lang_switch: "Dansk", lang_switch_lang: "da",
    tab_decide: "Decide a case", tab_rulebook: "Rulebook",
    case: "The case", municipality: "Municipality", decision_date: "Decision date",
    profile: "The citizen",
    unknown_note: "A field left as “unknown” is not sent: it means the fact is missing, " +
      "not “no”.",
    submit: "Decide", deciding: "Deciding …", decided: "Decided.",
    unknown: "unknown", yes: "yes", no: "no",
    list_state: "Given", list_unknown: "unknown",
    list_known: "as ticked below (nothing ticked = none)",
    living_situation: "Living situation and stay",
    municipality_hint: "Municipality code (e.g. 265) or name; “none” if no authority.",
    reasons: "Reasons", missing: "Missing information",
    trail: "The trail: every rule that reached a conclusion", letter: "Draft letter",
    rulebook_note: "The rule set of the chosen municipality on the decision date.",
    not_final: "Not final: a concrete assessment or the main considerations are missing.",
    final: "Final: no concrete assessment or main considerations are missing.",
    decided_for: "{municipality} Municipality, decision date {date}",
    versions: "Versions of the rule set: {list}", open_end: "…",
    met: "met", not_met: "not met", read: "read", legal_basis: "Legal basis",
    load_failed: "The page could not load its data from the server: ",
    request_failed: "The server did not answer as expected: ",
    profile_errors: "The profile has errors:",
  },
};

const state = {
  lang: "da",
  labels: null,
  schema: null,
  municipalities: [],
  specs: [],           // the form's fields, built from the schema
  relabel: [],         // functions that put the current language's words in place
  verdict: null,
  submitted: false,
  rulebookShown: false,
};

const $ = (id) => document.getElementById(id);
const ui = (key, values = {}) =>
  UI[state.lang][key].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
const text = (forms) => (forms && typeof forms === "object" ? forms[state.lang] ?? "" : String(forms ?? ""));

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function onLang(fn) {
  state.relabel.push(fn);
  fn();
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

// -- the form, from the profile schema ----------------------------------------------------

function vocabularyOf(values) {
  // The vocabulary whose values these are, for an enum the schema writes out (consent).
  for (const [name, table] of Object.entries(state.labels.values)) {
    const known = Object.keys(table);
    if (known.length === values.length && values.every((v) => known.includes(v))) return name;
  }
  return null;
}

function resolve(node) {
  // What kind of input a schema node needs: enum, bool, date, text, municipality, list, object.
  const defs = state.schema.$defs || {};
  if (node.$ref) {
    const name = node.$ref.split("/").pop();
    const target = defs[name] || {};
    if (target.enum) return { kind: "enum", vocab: name, values: target.enum };
    if (target.type === "object" && target.properties) return { kind: "object", def: target };
    return { kind: "skip" };
  }
  if (node.anyOf) {
    const options = node.anyOf.filter((o) => o.type !== "null");
    const flat = options.flatMap((o) => (o.anyOf && !o.$ref ? o.anyOf : [o]));
    if (flat.length === 1) return resolve(flat[0]);
    const choice = flat.find((o) => o.$ref || o.enum);
    if (choice) return resolve(choice.enum ? { ...choice } : choice);
    if (flat.some((o) => o.type === "integer") && flat.some((o) => o.type === "string")) {
      return { kind: "municipality" };
    }
    return { kind: "skip" };
  }
  if (node.enum) return { kind: "enum", vocab: vocabularyOf(node.enum), values: node.enum };
  if (node.type === "boolean") return { kind: "bool" };
  if (node.type === "array") {
    const item = resolve(node.items || {});
    return item.kind === "enum" ? { kind: "list", vocab: item.vocab, values: item.values }
      : { kind: "skip" };
  }
  if (node.type === "string") return { kind: node.format === "date" ? "date" : "text" };
  return { kind: "skip" };
}

function fieldLabel(path) {
  const forms = state.labels.fields[path];
  return forms ? text(forms) : path;
}

function valueLabel(vocab, value) {
  const forms = vocab && state.labels.values[vocab] && state.labels.values[vocab][value];
  return forms ? text(forms) : value;
}

function capitalised(words) {
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : words;
}

function fieldShell(path, control, { describedBy = true } = {}) {
  const id = `f-${path}`;
  const help = el("p", { class: "help", id: `h-${path}` });
  const error = el("p", { class: "field-error", id: `e-${path}`, hidden: true });
  if (describedBy) control.setAttribute("aria-describedby", `h-${path} e-${path}`);
  const label = el("label", { for: id });
  onLang(() => {
    label.textContent = capitalised(fieldLabel(path));
    const forms = state.labels.help[path];
    help.textContent = forms ? text(forms) : "";
    help.hidden = !forms;
  });
  return el("div", { class: "field", "data-field": path }, label, control, help, error);
}

function unknownOption() {
  const option = el("option", { value: "" });
  onLang(() => { option.textContent = `– ${ui("unknown")} –`; });
  return option;
}

function buildField(path, node) {
  const type = resolve(node);
  const id = `f-${path}`;
  switch (type.kind) {
    case "enum": {
      const select = el("select", { id, name: path }, unknownOption());
      for (const value of type.values) {
        const option = el("option", { value });
        onLang(() => { option.textContent = valueLabel(type.vocab, value); });
        select.append(option);
      }
      state.specs.push({ path, kind: "enum", read: () => select.value || undefined });
      return fieldShell(path, select);
    }
    case "bool": {
      const select = el("select", { id, name: path }, unknownOption());
      for (const [value, key] of [["true", "yes"], ["false", "no"]]) {
        const option = el("option", { value });
        onLang(() => { option.textContent = ui(key); });
        select.append(option);
      }
      state.specs.push({
        path, kind: "bool",
        read: () => (select.value === "" ? undefined : select.value === "true"),
      });
      return fieldShell(path, select);
    }
    case "date":
    case "text":
    case "municipality": {
      const input = el("input", {
        id, name: path, type: type.kind === "date" ? "date" : "text", autocomplete: "off",
        spellcheck: "false",
      });
      state.specs.push({
        path, kind: type.kind,
        read: () => {
          const raw = input.value.trim();
          if (raw === "") return undefined;
          if (type.kind === "municipality" && /^\d+$/.test(raw)) return Number(raw);
          return raw;
        },
      });
      const shell = fieldShell(path, input);
      if (type.kind === "municipality" && !state.labels.help[path]) {
        const help = shell.querySelector(".help");
        onLang(() => { help.textContent = ui("municipality_hint"); help.hidden = false; });
      }
      return shell;
    }
    case "list": {
      // A list has three states: unknown (left out), known and empty (none), known with items.
      const chosen = el("select", { id, name: `${path}:given`, "aria-describedby": `e-${path}` });
      const unknown = el("option", { value: "" });
      const known = el("option", { value: "known" });
      chosen.append(unknown, known);
      const stateLabel = el("label", { for: id });
      const legend = el("legend");
      const boxes = [];
      const list = el("div", { class: "boxes" });
      for (const value of type.values) {
        const box = el("input", { type: "checkbox", id: `${id}=${value}`, name: path, value });
        box.addEventListener("change", () => { if (box.checked) chosen.value = "known"; });
        const label = el("label", { for: box.id });
        onLang(() => { label.textContent = ` ${valueLabel(type.vocab, value)}`; });
        boxes.push(box);
        list.append(el("span", { class: "box" }, box, label));
      }
      chosen.addEventListener("change", () => {
        if (chosen.value === "") for (const box of boxes) box.checked = false;
      });
      onLang(() => {
        legend.textContent = capitalised(fieldLabel(path));
        stateLabel.textContent = `${ui("list_state")}: `;
        unknown.textContent = `– ${ui("list_unknown")} –`;
        known.textContent = ui("list_known");
      });
      state.specs.push({
        path, kind: "list",
        read: () => (chosen.value === "" ? undefined
          : boxes.filter((b) => b.checked).map((b) => b.value)),
      });
      const error = el("p", { class: "field-error", id: `e-${path}`, hidden: true });
      return el("fieldset", { class: "list", "data-field": path, "aria-describedby": `e-${path}` },
        legend, el("div", { class: "field" }, stateLabel, chosen), list, error);
    }
    case "object": {
      const legend = el("legend");
      onLang(() => { legend.textContent = UI.da[path] ? ui(path) : capitalised(fieldLabel(path)); });
      const fieldset = el("fieldset", { class: "nested", "data-field": path }, legend);
      const before = state.specs.length;
      for (const [name, child] of Object.entries(type.def.properties)) {
        const built = buildField(`${path}.${name}`, child);
        if (built) fieldset.append(built);
      }
      const children = state.specs.splice(before);
      state.specs.push({
        path, kind: "object",
        read: () => {
          const value = {};
          for (const spec of children) {
            const got = spec.read();
            if (got !== undefined) value[spec.path.slice(path.length + 1)] = got;
          }
          return Object.keys(value).length ? value : undefined;
        },
      });
      fieldset.append(el("p", { class: "field-error", id: `e-${path}`, hidden: true }));
      return fieldset;
    }
    default:
      return null; // e.g. the caseworker's assessments: not on this page (docs/service.md)
  }
}

function buildForm() {
  const container = $("profile-fields");
  for (const [name, node] of Object.entries(state.schema.properties || {})) {
    const built = buildField(name, node);
    if (built) container.append(built);
  }
}

function profile() {
  const data = {};
  for (const spec of state.specs) {
    const value = spec.read();
    if (value !== undefined) data[spec.path] = value;
  }
  return data;
}

// -- the case: municipality and decision date ---------------------------------------------

function chosenMunicipality() {
  return state.municipalities.find((m) => String(m.code) === $("municipality").value);
}

function buildCase() {
  const select = $("municipality");
  for (const m of state.municipalities) {
    select.append(el("option", { value: m.code }, `${m.name} (${m.code})`));
  }
  const date = $("decision-date");
  if (!date.value) {
    const today = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    date.value = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  }
  const showVersions = () => {
    const m = chosenMunicipality();
    const list = (m ? m.versions : []).map((v) =>
      `${v.valid_from ?? ui("open_end")} – ${v.valid_to ?? ui("open_end")}`).join("; ");
    $("decision-date-help").textContent = list ? ui("versions", { list }) : "";
  };
  select.addEventListener("change", () => { showVersions(); refreshRulebook(); });
  date.addEventListener("change", refreshRulebook);
  onLang(showVersions);
}

// -- errors beside their fields -------------------------------------------------------------

function clearErrors() {
  for (const node of document.querySelectorAll(".field-error")) {
    node.textContent = "";
    node.hidden = true;
  }
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of document.querySelectorAll("fieldset.invalid")) node.classList.remove("invalid");
  $("form-errors").replaceChildren();
  $("form-errors").hidden = true;
}

function errorTarget(path) {
  const special = { on: "on-error", municipality: "municipality-error" };
  if (special[path]) return $(special[path]);
  const parts = (path || "").split(".");
  while (parts.length) {
    const found = $(`e-${parts.join(".")}`);
    if (found) return found;
    parts.pop();
  }
  return null;
}

function showProblem(problem) {
  const errors = Array.isArray(problem.errors) && problem.errors.length ? problem.errors
    : [{ field: "", message: problem.detail || problem.title || String(problem.status || "") }];
  const general = [];
  let first = null;
  for (const error of errors) {
    const words = error.hint ? `${error.message} (${error.hint})` : error.message;
    const target = errorTarget(error.field);
    if (!target) {
      general.push(error.field ? `${error.field}: ${words}` : words);
      continue;
    }
    target.append(el("span", { class: "message" }, words), " ");
    target.hidden = false;
    const holder = target.closest("[data-field]") || target.parentElement;
    const control = target.id === "on-error" ? $("decision-date")
      : target.id === "municipality-error" ? $("municipality")
      : $(`f-${target.id.slice(2)}`) || holder.querySelector("select, input");
    if (holder && holder.tagName === "FIELDSET") holder.classList.add("invalid");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    }
  }
  if (general.length) {
    const box = $("form-errors");
    box.append(el("p", {}, ui("profile_errors")), el("ul", {}, ...general.map((g) => el("li", {}, g))));
    box.hidden = false;
  }
  if (first) first.focus();
}

// -- the verdict ----------------------------------------------------------------------------

function basisText(basis) {
  if (!basis) return "";
  const law = (basis.law || []).map((c) => c.citation);
  const sources = (basis.sources || []).map((s) => [s.title, s.section].filter(Boolean).join(", "));
  return [...law, ...sources].join("; ");
}

function basisLine(basis) {
  const words = basisText(basis);
  return words ? el("span", { class: "basis" }, `${ui("legal_basis")}: ${words}`) : null;
}

function renderVerdict() {
  const v = state.verdict;
  if (!v) return;
  const outcome = state.labels.outcomes[v.outcome];
  $("outcome").textContent = outcome ? text(outcome) : v.outcome;
  $("outcome").dataset.outcome = v.outcome;
  $("final-note").textContent = `${ui("decided_for", {
    municipality: v.municipality_name, date: v.decision_date })}. ${v.final ? ui("final") : ui("not_final")}`;
  $("reasons").replaceChildren(...v.reasons.map((r) => {
    const kind = state.labels.condition_kinds[r.condition_kind];
    return el("li", { "data-code": r.code }, text(r.text),
      kind ? el("span", { class: "kind" }, text(kind)) : null, basisLine(r.legal_basis));
  }));
  $("missing").replaceChildren(...v.missing_facts.map((m) =>
    el("li", { "data-fact": m.fact }, el("strong", {}, capitalised(text(m.label))), ": ", text(m.ask))));
  $("missing-block").hidden = v.missing_facts.length === 0;
  $("trail").replaceChildren(...v.trail.map((step) => {
    const read = (step.facts_read || []).map((f) => `${text(f.label)} = ${text(f.value_label)}`);
    return el("li", { "data-rule": step.rule_id },
      el("strong", {}, text(step.title)), ` — ${step.result ? ui("met") : ui("not_met")}. `,
      text(step.conclusion),
      read.length ? el("span", { class: "basis" }, `${ui("read")}: ${read.join("; ")}`) : null,
      basisLine(step.legal_basis));
  }));
  $("result").hidden = false;
}

function query(extra = {}) {
  const params = new URLSearchParams({
    municipality: $("municipality").value, on: $("decision-date").value, lang: state.lang, ...extra,
  });
  return params.toString();
}

async function asProblem(response) {
  try {
    return await response.json();
  } catch {
    return { status: response.status, detail: `${ui("request_failed")}${response.status}` };
  }
}

async function submit(event) {
  if (event) event.preventDefault();
  state.submitted = true;
  clearErrors();
  $("status").textContent = ui("deciding");
  const body = JSON.stringify(profile());
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  try {
    const response = await fetch(`/v1/evaluate?${query({ detail: "full" })}`,
      { method: "POST", headers, body });
    if (!response.ok) {
      state.verdict = null;
      $("result").hidden = true;
      $("status").textContent = "";
      showProblem(await asProblem(response));
      return;
    }
    state.verdict = await response.json();
    renderVerdict();
    $("status").textContent = ui("decided");
    const letter = await fetch(`/v1/explain?${query({ format: "html" })}`,
      { method: "POST", headers: { ...headers, Accept: "text/html" }, body });
    $("letter").srcdoc = letter.ok ? await letter.text()
      : `<p>${ui("request_failed")}${letter.status}</p>`;
  } catch (error) {
    $("status").textContent = "";
    showProblem({ detail: `${ui("request_failed")}${error.message}` });
  }
}

// -- the rulebook tab -----------------------------------------------------------------------

async function refreshRulebook() {
  if (!state.rulebookShown) return;
  const frame = $("rulebook");
  const code = encodeURIComponent($("municipality").value);
  const params = new URLSearchParams({ on: $("decision-date").value, format: "html", lang: state.lang });
  const response = await fetch(`/v1/rulebook/${code}?${params}`, { headers: { Accept: "text/html" } });
  if (response.ok) {
    frame.srcdoc = await response.text();
    return;
  }
  const problem = await asProblem(response);
  const doc = document.implementation.createHTMLDocument("");
  doc.body.append(el("p", {}, problem.detail || problem.title || String(response.status)));
  frame.srcdoc = doc.documentElement.outerHTML;
}

function showTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  state.rulebookShown = tab.id === "tab-rulebook";
  refreshRulebook();
}

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener("click", () => showTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      next.focus();
      showTab(next);
    });
  }
}

// -- language -------------------------------------------------------------------------------

function applyLang() {
  document.documentElement.lang = state.lang;
  document.title = ui("doc_title");
  for (const node of document.querySelectorAll("[data-ui]")) node.textContent = ui(node.dataset.ui);
  for (const node of document.querySelectorAll("[data-ui-title]")) node.title = ui(node.dataset.uiTitle);
  const button = $("lang-switch");
  button.textContent = ui("lang_switch");
  button.lang = ui("lang_switch_lang");
  for (const fn of state.relabel) fn();
  renderVerdict();
}

async function switchLang() {
  state.lang = state.lang === "da" ? "en" : "da";
  applyLang();
  refreshRulebook();
  if (state.submitted) await submit();
}

async function init() {
  try {
    [state.municipalities, state.schema, state.labels] = await Promise.all([
      getJSON("/v1/municipalities"), getJSON("/v1/schemas/profile"), getJSON("/static/labels.json"),
    ]);
  } catch (error) {
    $("load-error").textContent = ui("load_failed") + error.message;
    $("load-error").hidden = false;
    return;
  }
  buildCase();
  buildForm();
  wireTabs();
  applyLang();
  $("case-form").addEventListener("submit", submit);
  $("lang-switch").addEventListener("click", switchLang);
  document.body.dataset.ready = "true";
}

init();
