/**
 * The left panel: a preset or a pasted or uploaded scenario, the variants and the
 * tunables. It checks what is typed as it is typed, in a worker of its own (check_worker.ts),
 * and shows each error next to its field, worded as the CLI words it.
 */
import {
  defaultTunables, findPreset, findVariant, PER_SIZE_CHOICES, perSizePath, PRESETS, presetYaml, readTunable, type Scenario,
  TUNABLE_PATHS, VARIANTS,
} from "../../host/mod.ts";
import type { CheckedMessage, CheckMessage } from "./check_worker.ts";
import type { ErrorField, RunRequest } from "./run_request.ts";

/** Choices of the tunables that take a word; the others take integers. */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  enabled: ["always", "madvise", "never"],
  defrag: ["always", "defer", "defer+madvise", "madvise", "never"],
};

export interface FormElements {
  preset: HTMLSelectElement;
  text: HTMLTextAreaElement;
  file: HTMLInputElement;
  scenarioError: HTMLElement;
  variants: HTMLElement;
  variantsError: HTMLElement;
  tunables: HTMLElement;
}

export class ScenarioForm {
  readonly #el: FormElements;
  #source = "";
  #tunableInputs = new Map<string, { input: HTMLInputElement | HTMLSelectElement; error: HTMLElement }>();
  #variantBoxes = new Map<string, HTMLInputElement>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The last check: the request it checked, as JSON, and whether it could run. */
  #checked: { key: string; ok: boolean } | null = null;
  readonly #checker = new Worker(new URL("./check_worker.ts", import.meta.url), { type: "module", name: "khugesim-check" });
  /** The check under way, if any: its id, and what to call with its answer. */
  #pending: { id: number; fresh: boolean; done: (ok: boolean) => void } | null = null;
  #nextId = 1;
  /** The scenario variants last ticked from the text. */
  #adopted = "";
  /** Told whether the form holds a runnable request after every check. */
  onValidity: (ok: boolean) => void = () => {};

  constructor(el: FormElements) {
    this.#el = el;
    this.#checker.onmessage = (e: MessageEvent<CheckedMessage>) => this.#answer(e.data);
    for (const p of PRESETS) el.preset.append(new Option(`${p.name} — ${p.description}`, p.name));
    el.preset.append(new Option("(your own scenario)", ""));
    for (const v of VARIANTS.values()) this.#addVariant(v.name);
    for (const path of TUNABLE_PATHS) this.#addTunable(path);

    el.preset.addEventListener("change", () => {
      if (el.preset.value !== "") this.loadPreset(el.preset.value);
    });
    el.text.addEventListener("input", () => {
      el.preset.value = "";
      if (this.#source === "" || findPreset(this.#source.replace(/\.yaml$/, ""))) this.#source = "scenario.yaml";
      this.#checkSoon();
    });
    el.file.addEventListener("change", async () => {
      const f = el.file.files?.[0];
      if (!f) return;
      el.text.value = await f.text();
      el.preset.value = "";
      this.#source = f.name;
      void this.check(true);
    });
  }

  /** Show preset `name` as YAML, as `khugesim presets --show` prints it; resolves when it is checked. */
  loadPreset(name: string): Promise<boolean> {
    const p = findPreset(name);
    if (!p) return Promise.resolve(false);
    this.#el.preset.value = name;
    this.#el.text.value = presetYaml(p);
    this.#source = `${name}.yaml`;
    return this.check(true);
  }

  /** Show a request (from a shared link): its text, its variants ticked, its tunables filled in. */
  load(r: RunRequest): Promise<boolean> {
    this.#el.text.value = r.text;
    this.#source = r.source;
    const preset = PRESETS.find((p) => presetYaml(p) === r.text);
    this.#el.preset.value = preset ? preset.name : "";
    for (const name of r.variants) this.#addVariant(name);
    for (const [name, box] of this.#variantBoxes) box.checked = r.variants.includes(name);
    for (const [path, { input }] of this.#tunableInputs) input.value = String(r.tunables[path] ?? "");
    // The link's variants stand: the text's own are not taken over them.
    return this.check(false);
  }

  /** The run the form describes. */
  request(): RunRequest {
    const tunables: Record<string, string | number> = {};
    for (const [path, { input }] of this.#tunableInputs) {
      const v = input.value.trim();
      if (v === "") continue;
      tunables[path] = input instanceof HTMLSelectElement || !/^-?\d+$/.test(v) ? v : Number(v);
    }
    const variants = [...this.#variantBoxes].filter(([, box]) => box.checked).map(([name]) => name);
    return { text: this.#el.text.value, source: this.#source || "scenario.yaml", variants, tunables };
  }

  /**
   * Check the form in the checker; on a new scenario text (`fresh`) take its variants and
   * show its tunables as placeholders. Until the answer the form cannot run; resolves
   * with whether it can.
   */
  check(fresh = false): Promise<boolean> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending?.done(false);
    this.onValidity(false);
    const message: CheckMessage = { id: this.#nextId++, request: this.request(), adopt: fresh ? this.#adopted : null };
    this.#checker.postMessage(message);
    return new Promise((done) => (this.#pending = { id: message.id, fresh, done }));
  }

  #answer(m: CheckedMessage): void {
    if (m.id !== this.#pending?.id) return;
    const { done, fresh } = this.#pending;
    this.#pending = null;
    this.clearErrors();
    if (m.own) {
      if (fresh) this.#adopt(m.own.variants, m.request.variants);
      this.#showEffective(m.own);
    }
    if (m.error) this.showError(m.error.field, m.error.message);
    const ok = m.error === null;
    this.#checked = { key: JSON.stringify(this.request()), ok };
    // An edit made since the check was sent waits for its own check: the form cannot run yet.
    this.onValidity(ok && this.#timer === null);
    done(ok);
  }

  /**
   * Whether the form can run: the last check's answer if nothing changed since (a terabyte
   * scenario is not checked again on the Run click); false while a check is under way.
   */
  ready(): boolean {
    return this.#pending === null && this.#timer === null && this.#checked?.key === JSON.stringify(this.request()) &&
      this.#checked.ok;
  }

  #checkSoon(): void {
    // What is typed cannot run before it is checked.
    this.onValidity(false);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.check(true);
    }, 250);
  }

  /**
   * Tick `checked` (the variants the checker ran with), remembering `own`, the text's
   * variants, as taken; one named as VERSION+POLICY (mthp-creep's `7.2+mthp-scaled`) gets a
   * box of its own first.
   */
  #adopt(own: string[], checked: string[]): void {
    this.#adopted = own.join(",");
    for (const name of checked) this.#addVariant(name);
    for (const [name, box] of this.#variantBoxes) box.checked = checked.includes(name);
  }

  /** A checkbox for the variant `name` (known to findVariant), unless it has one. */
  #addVariant(name: string): void {
    const v = findVariant(name);
    if (!v || this.#variantBoxes.has(name)) return;
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = name;
    box.addEventListener("change", () => void this.check());
    const small = document.createElement("small");
    small.textContent = v.description;
    const text = document.createElement("span");
    text.append(name, document.createElement("br"), small);
    label.append(box, text);
    this.#el.variants.append(label);
    this.#variantBoxes.set(name, box);
  }

  /** Placeholders show the value each tunable has in the scenario (or its default). */
  #showEffective(s: Pick<Scenario, "tunables">): void {
    const defaults = defaultTunables();
    for (const [path, { input }] of this.#tunableInputs) {
      // readTunable() shows a choice as sysfs does, "always [madvise] never": keep the chosen one.
      const value = String(s.tunables[path] ?? readTunable(defaults, path).replace(/^.*\[(.+)\].*$/, "$1"));
      if (input instanceof HTMLInputElement) input.placeholder = value;
      else input.options[0].textContent = `(${value})`;
    }
  }

  clearErrors(): void {
    for (const el of [this.#el.scenarioError, this.#el.variantsError]) el.textContent = "";
    this.#el.text.removeAttribute("aria-invalid");
    for (const { input, error } of this.#tunableInputs.values()) {
      error.textContent = "";
      error.hidden = true;
      input.removeAttribute("aria-invalid");
    }
  }

  /** Show `message` next to the field it is about. */
  showError(field: ErrorField, message: string): void {
    if (field === "variants") {
      this.#el.variantsError.textContent = message;
    } else if (typeof field === "object") {
      const t = this.#tunableInputs.get(field.tunable);
      if (t) {
        t.error.textContent = message;
        t.error.hidden = false;
        t.input.setAttribute("aria-invalid", "true");
      } else {
        this.#el.scenarioError.textContent = message;
      }
    } else {
      this.#el.scenarioError.textContent = message;
      if (field === "scenario") this.#el.text.setAttribute("aria-invalid", "true");
    }
  }

  #addTunable(path: string): void {
    const id = `tunable-${path.replace(/\W/g, "-")}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = path;
    let input: HTMLInputElement | HTMLSelectElement;
    const choices = CHOICES[path] ?? (perSizePath(path) === undefined ? undefined : PER_SIZE_CHOICES);
    if (choices) {
      input = document.createElement("select");
      input.append(new Option("(scenario)", ""), ...choices.map((c) => new Option(c, c)));
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.inputMode = "numeric";
    }
    input.id = id;
    input.name = path;
    input.addEventListener(choices ? "change" : "input", () => this.#checkSoon());
    const error = document.createElement("p");
    error.className = "field-error";
    error.hidden = true;
    error.id = `${id}-error`;
    input.setAttribute("aria-describedby", error.id);
    this.#el.tunables.append(label, input, error);
    this.#tunableInputs.set(path, { input, error });
  }
}
