// pm2_tail_logs carries its lines once, in the text; structuredContent.logs says where each run
// is (`from`, `count` among the text's lines). Tests read the runs back the way a client would.
export interface TailRun {
  pm_id: number;
  name: string;
  stream: 'out' | 'err';
  lines: string[];
}

interface TailLike {
  content?: unknown;
  structuredContent?: unknown;
}

export function tailRuns(result: TailLike): TailRun[] {
  const content = result.content as Array<{ type: string; text?: string }> | undefined;
  const text = content?.find((c) => c.type === 'text')?.text ?? '';
  const lines = text.split('\n');
  const spans = (result.structuredContent as { logs?: Array<{ pm_id: number; name: string; stream: 'out' | 'err'; from: number; count: number }> } | undefined)?.logs ?? [];
  return spans.map((s) => ({ pm_id: s.pm_id, name: s.name, stream: s.stream, lines: lines.slice(s.from, s.from + s.count) }));
}
