/** A tiny typed event emitter (no node:events in the engine-facing API). */
export class TypedEmitter<E extends { readonly [K in keyof E]: (...args: never[]) => void }> {
  /**
   * Listeners per event, each list never changed in place (on/off replace it): `emit` walks the list it found
   * without copying it, and a listener added or removed during an emit takes effect from the next one.
   */
  readonly #listeners = new Map<keyof E, readonly E[keyof E][]>();
  /** Add a listener (once: adding the same function again changes nothing). */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener]);
    else if (!list.includes(listener)) this.#listeners.set(event, [...list, listener]);
    return this;
  }
  /** Remove a listener. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners.get(event);
    if (list === undefined || !list.includes(listener)) return this;
    const rest = list.filter((l) => l !== listener);
    if (rest.length === 0) this.#listeners.delete(event);
    else this.#listeners.set(event, rest);
    return this;
  }
  /** Call the listeners of `event`. */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    for (const l of list) (l as (...a: Parameters<E[K]>) => void)(...args);
  }
}
