// The demo edits this line and pushes, to show a new deployment going live.
export const VERSION = 'v1';
