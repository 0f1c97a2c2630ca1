import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { follow } from './router.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={props.href} class={props.class} onClick={follow}>
      {props.children}
    </a>
  );
}

export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  const e = props.error;
  const message = e instanceof ApiError ? e.body.message : e instanceof Error ? e.message : String(e);
  const hint = e instanceof ApiError ? e.body.hint : undefined;
  return (
    <p class="error" role="alert">
      {message}
      {hint ? <span class="hint"> {hint}</span> : null}
    </p>
  );
}

export function StateBadge(props: { state: string }) {
  return <span class={`badge s-${props.state}`}>{props.state}</span>;
}

export function When(props: { at: string }) {
  const d = new Date(props.at);
  return <time datetime={props.at}>{d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</time>;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const shortSha = (sha: string | null): string => (sha ? sha.slice(0, 7) : '—');

/** Loads `load()` now and whenever `reload()` is called; `every` ms while `poll` says so. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], poll?: (value: T) => number | null) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    load().then(
      (v) => {
        if (gone) return;
        setValue(v);
        setError(null);
        const every = poll?.(v);
        if (every) timer = setTimeout(reload, every);
      },
      (e: unknown) => !gone && setError(e),
    );
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { value, error, reload };
}
