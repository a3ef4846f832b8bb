/** A tiny typed event emitter (no node:events in the engine-facing API). */
export class TypedEmitter<E extends { readonly [K in keyof E]: (...args: never[]) => void }> {
  /**
   * Listeners per event: one listener as itself, several in an array never changed in place (on/off replace it), so
   * `emit` walks what it found without copying it, and a listener added or removed during an emit takes effect from
   * the next one. Made at the first `on` (a connection nobody listens to has none), and no array for an event with
   * one listener (the usual case: the node:tls adapter listens once to each event of its connection).
   */
  #listeners: Map<keyof E, E[keyof E] | readonly E[keyof E][]> | undefined;
  /** Add a listener (once: adding the same function again changes nothing). */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    const map = (this.#listeners ??= new Map());
    const l = map.get(event);
    if (l === undefined) map.set(event, listener);
    else if (Array.isArray(l)) {
      if (!l.includes(listener)) map.set(event, [...(l as readonly E[keyof E][]), listener]);
    } else if (l !== listener) map.set(event, [l as E[keyof E], listener]);
    return this;
  }
  /** Remove a listener. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const map = this.#listeners;
    const l = map?.get(event);
    if (map === undefined || l === undefined) return this;
    if (!Array.isArray(l)) {
      if (l === listener) map.delete(event);
      return this;
    }
    const list = l as readonly E[keyof E][];
    if (!list.includes(listener)) return this;
    const rest = list.filter((x) => x !== listener);
    if (rest.length === 1) map.set(event, rest[0] as E[keyof E]);
    else map.set(event, rest);
    return this;
  }
  /** Call the listeners of `event`. */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const l = this.#listeners?.get(event);
    if (l === undefined) return;
    if (!Array.isArray(l)) {
      (l as (...a: Parameters<E[K]>) => void)(...args);
      return;
    }
    for (const f of l as readonly E[keyof E][]) (f as (...a: Parameters<E[K]>) => void)(...args);
  }
}
