/** The first item of `list` that comes again later in it, if any: a name given twice. */
export function firstRepeated<T>(list: readonly T[]): T | undefined {
  return list.find((x, i) => list.indexOf(x) !== i);
}
