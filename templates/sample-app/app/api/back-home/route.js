import { NextResponse } from 'next/server';

export const dynamic = 'force-dynamic';

// A redirect built from request.url, as many apps write it: it must keep the visitor's protocol.
export function GET(request) {
  return NextResponse.redirect(new URL('/', request.url));
}
