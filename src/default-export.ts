// A JavaScript file loaded by import() or require() (a config, an ecosystem file): its default
// export. An ES module namespace gives its `default`; a CommonJS object gives its `default` only
// when it is ESM compiled to CommonJS (nothing but `default` and `__esModule`), else itself.
export function defaultExport(mod: unknown): unknown {
  if (typeof mod !== 'object' || mod === null || !('default' in mod)) return mod;
  const namespace = (mod as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module';
  if (namespace || Object.keys(mod).every((k) => k === 'default' || k === '__esModule')) return (mod as { default: unknown }).default;
  return mod;
}
