import { useEffect, useState } from 'preact/hooks';

/** Routes are paths (the platform serves index.html for every path outside /api/). */
export type Route = { screen: 'projects' } | { screen: 'project'; project: string } | { screen: 'deployment'; project: string; id: string } | { screen: 'missing' };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  if (parts.length === 0) return { screen: 'projects' };
  if (parts[0] !== 'projects' || parts.some((p) => p === '')) return { screen: 'missing' };
  if (parts.length === 2) return { screen: 'project', project: parts[1] as string };
  if (parts.length === 4 && parts[2] === 'deployments') return { screen: 'deployment', project: parts[1] as string, id: parts[3] as string };
  return { screen: 'missing' };
}

export const projectPath = (name: string): string => `/projects/${encodeURIComponent(name)}`;
export const deploymentPath = (name: string, id: string): string => `${projectPath(name)}/deployments/${encodeURIComponent(id)}`;

export function navigate(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => {
      setRoute(parseRoute(location.pathname));
      window.scrollTo(0, 0);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** A plain link that the app follows without reloading the page (modified clicks open as usual). */
export function follow(event: MouseEvent): void {
  const link = event.currentTarget as HTMLAnchorElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.pathname);
}
