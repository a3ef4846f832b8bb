/** A tiny typed event emitter (no node:events in the engine-facing API). */
export class TypedEmitter<E extends { readonly [K in keyof E]: (...args: never[]) => void }> {
  readonly #listeners = new Map<keyof E, Set<E[keyof E]>>();
  /** Add a listener. */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }
  /** Remove a listener. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }
  /** Call the listeners of `event`. */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const l of [...set]) (l as (...a: Parameters<E[K]>) => void)(...args);
  }
}
