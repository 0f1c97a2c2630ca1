import { Suspense } from 'react';

export const dynamic = 'force-dynamic';

async function Slow() {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return <p id="slow">slow part done</p>;
}

// The shell is flushed first and the slow part follows in the same response: this only works
// through a streaming handler.
export default function Stream() {
  return (
    <main>
      <h1 id="shell">streaming shell</h1>
      <Suspense fallback={<p id="fallback">loading…</p>}>
        <Slow />
      </Suspense>
    </main>
  );
}
