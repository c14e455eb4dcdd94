// import() of what Node loads at run time rather than the bundle holding it: pm2, a user's
// JavaScript config, an ecosystem file, typescript. The built server runs from a V8 code cache
// (src/launcher.ts), and on Node 20 an import() in cached code has lost its callback ("A dynamic
// import callback was not specified"); the launcher hands in an import() of its own, from the
// same folder. Under tsx, or with no launcher, this is import() itself.
declare const __pm2mcpImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule(specifier: string): Promise<unknown> {
  return typeof __pm2mcpImport === 'function' ? __pm2mcpImport(specifier) : import(specifier);
}
