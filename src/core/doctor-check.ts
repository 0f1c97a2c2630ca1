/** One finding of `anchor doctor`, on either backend. */
export interface DoctorCheck {
  /** Stable, for scripts: `isolation`, `server-lock`, `file-modes`, … */
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  /** What to do about a warning or a failure. */
  hint?: string;
}
