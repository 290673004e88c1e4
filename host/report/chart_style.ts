/**
 * How the AnonHugePages charts tell lines apart, the CLI's SVG and the page's alike:
 * colour by task, dash by variant (the first solid). No echarts here, so that the
 * library can export them without pulling in a renderer.
 */

/** Line colours, one per task in order of first appearance. */
export const PALETTE: readonly string[] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
/** Line dashes, one per variant in run order. */
export const DASHES = ["solid", "dashed", "dotted"] as const;
