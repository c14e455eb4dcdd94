// `type: "combined"`: the out and err lines of one instance in the order they were written,
// where that order is known. A log file holds no time of its own; pm2 writes one when the app
// has `time: true` (or a `log_date_format`): each line starts with "YYYY-MM-DDTHH:mm:ss: ", in
// the daemon's local time, to the second. Lines of one shape compare as strings; equal times
// keep out before err (within a second the order is not known). When a line of either stream
// has no such prefix the order is not known: the streams are given one after the other.

/** pm2's `time` prefix, optionally with fractions and a zone (a log_date_format in that shape). */
const TIME_PREFIX = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?): /;

export function timeOf(line: string): string | undefined {
  return TIME_PREFIX.exec(line)?.[1];
}

interface Stamped<T> {
  item: T;
  time: string;
}

/**
 * The lines of `a` and `b` (each already in time order: a file is written in order) merged by
 * time, ties keeping `a` first; undefined when a line has no time or the times differ in shape.
 */
export function interleaveByTime<T>(a: readonly T[], b: readonly T[], text: (item: T) => string): T[] | undefined {
  const sa = stamp(a, text);
  const sb = stamp(b, text);
  if (!sa || !sb) return undefined;
  const shape = (sa[0] ?? sb[0])?.time.length;
  if ([...sa, ...sb].some((s) => s.time.length !== shape)) return undefined;
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < sa.length || j < sb.length) {
    const x = sa[i];
    const y = sb[j];
    if (x && (!y || x.time <= y.time)) {
      out.push(x.item);
      i += 1;
    } else if (y) {
      out.push(y.item);
      j += 1;
    }
  }
  return out;
}

function stamp<T>(items: readonly T[], text: (item: T) => string): Array<Stamped<T>> | undefined {
  const out: Array<Stamped<T>> = [];
  for (const item of items) {
    const time = timeOf(text(item));
    if (time === undefined) return undefined;
    out.push({ item, time });
  }
  return out;
}
