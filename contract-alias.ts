import { fileURLToPath } from 'node:url';

// `$contract` is the renderer's one door to the main process: the API contract, and beside it
// the files of src-main/api the renderer may use (the lint rules say which). The bundler, the
// test runners and tsconfig's `paths` resolve it the same way.
const api = fileURLToPath(new URL('./src-main/api', import.meta.url));

export const contractAlias = [
  { find: /^\$contract$/, replacement: `${api}/contract.ts` },
  { find: /^\$contract\/(.*)$/, replacement: `${api}/$1` },
];
