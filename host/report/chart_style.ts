/**
 * How the AnonHugePages charts tell lines apart: colour and marker by task in both; the
 * CLI's SVG gives each variant a panel of its own, the page dashes all but the first.
 */

/** Line colours, one per task in order of first appearance. */
export const PALETTE: readonly string[] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
/** Line dashes, one per variant in run order. */
export const DASHES = ["solid", "dashed", "dotted"] as const;
/** Marker shapes, one per task in order, so that lines read apart in grey too. */
export const MARKERS = ["circle", "square", "triangle", "diamond"] as const;
