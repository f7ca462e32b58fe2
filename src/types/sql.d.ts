/** `.sql` files are imported as their text (esbuild `loader: { '.sql': 'text' }`, vitest.config.ts). */
declare module '*.sql' {
  const text: string;
  export default text;
}
