// What a workflow is waiting to be told, as its `view` query shows it: a plain list,
// one entry per kind, so it survives continue-as-new.

export interface OpenQuestion<K extends string = string> {
  kind: K;
  since: string;
  until?: string;
  detail?: Record<string, unknown>;
}

/** Opens (or restates in place) the question of `kind`, open for `windowMs` if given. */
export function ask<K extends string>(questions: OpenQuestion<K>[], kind: K, windowMs?: number, detail?: Record<string, unknown>): void {
  const since = new Date();
  const question: OpenQuestion<K> = { kind, since: since.toISOString() };
  if (windowMs !== undefined) question.until = new Date(since.getTime() + windowMs).toISOString();
  if (detail) question.detail = detail;
  const at = questions.findIndex((q) => q.kind === kind);
  if (at >= 0) questions[at] = question;
  else questions.push(question);
}

export function answered<K extends string>(questions: OpenQuestion<K>[], kind: K): void {
  const at = questions.findIndex((q) => q.kind === kind);
  if (at >= 0) questions.splice(at, 1);
}

export const isOpen = <K extends string>(questions: readonly OpenQuestion<K>[], kind: K): boolean => questions.some((q) => q.kind === kind);
