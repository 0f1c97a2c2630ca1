/** Registers the push webhook on the code host (GitHub). Contract: creating twice updates the existing hook. */
export interface RepoHooks {
  ensurePushHook(input: { owner: string; repo: string; url: string; secret: string; hookId: number | null }): Promise<{ hookId: number; created: boolean }>;
}
