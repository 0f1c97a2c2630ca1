import Image from 'next/image';
import { VERSION } from './version.js';

// Rendered per request so runtime env changes (anchor env set … --target runtime) show at once.
export const dynamic = 'force-dynamic';

export default function Home() {
  return (
    <main>
      <h1 id="greeting">{process.env.GREETING ?? 'Hello from anchor'}</h1>
      <p id="version">version: {VERSION}</p>
      <Image id="logo" src="/anchor.png" alt="anchor logo" width={128} height={128} priority />
      <ul>
        <li><a href="/isr">ISR page</a></li>
        <li><a href="/stream">Streaming page</a></li>
        <li><a href="/api/hello">/api/hello</a></li>
      </ul>
    </main>
  );
}
