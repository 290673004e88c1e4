/**
 * The left panel: a preset or a pasted or uploaded scenario, the variants and the
 * tunables. It checks what is typed as it is typed and shows each error next to its
 * field, worded as the CLI words it.
 */
import {
  defaultTunables, findPreset, findVariant, PER_SIZE_CHOICES, perSizePath, PRESETS, presetYaml, readTunable, type Scenario,
  TUNABLE_PATHS, VARIANTS,
} from "../../host/mod.ts";
import type { ErrorField } from "./run_request.ts";
import { checkRunRequest, checkScenarioText, type RunRequest } from "./run_request.ts";

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
  /** The scenario variants last ticked from the text. */
  #adopted = "";
  /** Told whether the form holds a runnable request after every check. */
  onValidity: (ok: boolean) => void = () => {};

  constructor(el: FormElements) {
    this.#el = el;
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
      this.check(true);
    });
  }

  /** Show preset `name` as YAML, as `khugesim presets --show` prints it. */
  loadPreset(name: string): void {
    const p = findPreset(name);
    if (!p) return;
    this.#el.preset.value = name;
    this.#el.text.value = presetYaml(p);
    this.#source = `${name}.yaml`;
    this.check(true);
  }

  /** Show a request (from a shared link): its text, its variants ticked, its tunables filled in. */
  load(r: RunRequest): void {
    this.#el.text.value = r.text;
    this.#source = r.source;
    const preset = PRESETS.find((p) => presetYaml(p) === r.text);
    this.#el.preset.value = preset ? preset.name : "";
    this.check(true);
    for (const name of r.variants) this.#addVariant(name);
    for (const [name, box] of this.#variantBoxes) box.checked = r.variants.includes(name);
    for (const [path, { input }] of this.#tunableInputs) input.value = String(r.tunables[path] ?? "");
    this.check();
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
   * Check the form; on a new scenario text (`fresh`) take its variants and show its
   * tunables as placeholders. Returns whether it can run.
   */
  check(fresh = false): boolean {
    this.clearErrors();
    const own = checkScenarioText(this.#el.text.value, this.#source || "scenario.yaml");
    if (fresh && own.ok) this.#adopt(own.scenario);
    if (own.ok) this.#showEffective(own.scenario);
    const request = this.request();
    const r = checkRunRequest(request, own);
    if (!r.ok) this.showError(r.field, r.message);
    this.#checked = { key: JSON.stringify(request), ok: r.ok };
    this.onValidity(r.ok);
    return r.ok;
  }

  /**
   * Whether the form can run: the last check's answer if nothing changed since (checking
   * a terabyte scenario again on the Run click would hold up the page), else a new check.
   */
  ready(): boolean {
    if (this.#timer === null && this.#checked?.key === JSON.stringify(this.request())) return this.#checked.ok;
    return this.check();
  }

  #checkSoon(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.check(true);
    }, 250);
  }

  /**
   * Tick the variants the scenario text names, when they differ from those last taken from it;
   * one named as VERSION+POLICY (mthp-creep's `7.2+mthp-scaled`) gets a box of its own first.
   */
  #adopt(s: Scenario): void {
    const key = s.variants.join(",");
    if (key === this.#adopted) return;
    this.#adopted = key;
    for (const name of s.variants) this.#addVariant(name);
    for (const [name, box] of this.#variantBoxes) box.checked = s.variants.includes(name);
  }

  /** A checkbox for the variant `name` (known to findVariant), unless it has one. */
  #addVariant(name: string): void {
    const v = findVariant(name);
    if (!v || this.#variantBoxes.has(name)) return;
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = name;
    box.addEventListener("change", () => this.check());
    const small = document.createElement("small");
    small.textContent = v.description;
    const text = document.createElement("span");
    text.append(name, document.createElement("br"), small);
    label.append(box, text);
    this.#el.variants.append(label);
    this.#variantBoxes.set(name, box);
  }

  /** Placeholders show the value each tunable has in the scenario (or its default). */
  #showEffective(s: Scenario): void {
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
