/**
 * For a composition root: `client(name, make)` is the client the caller gave under `name`, else
 * one made here and kept in `own`, so that `close` destroys only what the root made.
 */
export function givenOrMade<C extends { [K in keyof C]: { destroy(): void } }>(given: Partial<C> | undefined): {
  client: <K extends keyof C>(name: K, make: () => C[K]) => C[K];
  own: { destroy(): void }[];
} {
  const own: { destroy(): void }[] = [];
  const client = <K extends keyof C>(name: K, make: () => C[K]): C[K] => {
    const mine = given?.[name];
    if (mine) return mine as C[K];
    const made = make();
    own.push(made);
    return made;
  };
  return { client, own };
}
