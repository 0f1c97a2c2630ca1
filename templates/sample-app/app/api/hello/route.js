export const dynamic = 'force-dynamic';

export function GET() {
  return Response.json({ hello: 'world', greeting: process.env.GREETING ?? null });
}

// Echoes what it was sent, so a runtime's request and cookie plumbing can be checked.
export async function POST(request) {
  const received = await request.text();
  const flavour = request.cookies.get('flavour')?.value ?? null;
  return Response.json({ received, flavour }, { headers: { 'set-cookie': 'seen=1; Path=/' } });
}
