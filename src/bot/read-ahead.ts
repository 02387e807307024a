/** Helpers for commands' read-ahead (Command.readAhead): reads started before they are known to be needed. */

/**
 * `p` itself, marked handled: a read-ahead that is never used (the sender was refused, another
 * unit was meant) must not surface as an unhandled rejection. Whoever uses it awaits `p` and
 * sees its failure.
 */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
