/** The seed experiment without its cold task: the control that shows what cold costs hot2. */
import type { ScenarioInput } from "../scenario_schema.ts";
import { hotTask } from "./hot1_cold_hot2.ts";

export const hot1Hot2: ScenarioInput = {
  name: "hot1-hot2",
  description: "The seed experiment without the cold task: hot1, then hot2 1 s later, nothing lazy-free to cross",
  variants: ["baseline", "lazyfree-skip"],
  tunables: { enabled: "madvise" },
  tlb: "zen5",
  costModel: "bare-metal",
  seed: 1,
  tasks: [hotTask("hot1", 0), hotTask("hot2", 1)],
};
