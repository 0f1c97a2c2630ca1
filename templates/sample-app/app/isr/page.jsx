// Regenerated in the background at most every 5 s (stale-while-revalidate).
export const revalidate = 5;

export default function Isr() {
  return (
    <main>
      <h1>ISR</h1>
      <p>rendered at <time id="rendered-at">{new Date().toISOString()}</time></p>
    </main>
  );
}
