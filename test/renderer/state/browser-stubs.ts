// The stores read the address and localStorage when they are built; under Node there is neither.
// Imported before any store, so the stores' modules load as they do in the window.
const memory = new Map<string, string>();

Object.assign(globalThis, {
  location: { hash: '' },
  window: Object.assign(globalThis, { addEventListener: () => undefined }),
  localStorage: {
    getItem: (k: string) => memory.get(k) ?? null,
    setItem: (k: string, v: string) => void memory.set(k, String(v)),
    removeItem: (k: string) => void memory.delete(k),
  },
});
