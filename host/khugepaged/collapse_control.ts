/** Who asks for a collapse: khugepaged, or a task's MADV_COLLAPSE (`struct collapse_control`). */
export interface CollapseControl {
  /** `cc->is_khugepaged`. */
  isKhugepaged: boolean;
  comm: string;
  pid: number;
  cpu: number;
  /** Simulated time of the events this collapse emits. */
  ts: number;
}
