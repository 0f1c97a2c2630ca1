/**
 * A failed deployment's reason is text for a person. One kind of failure is the machine's, not the
 * site's: the disk the build writes to was full. Such a reason is made here and recognised here
 * only, so `deploy --follow` can exit 6 (external) for it, as for a failure of GitHub, git or npm,
 * rather than 7 (the site failed).
 */
const DISK_FULL = 'disk full: ';

export function diskFullReason(detail: string): string {
  return `${DISK_FULL}${detail}`;
}

export function isDiskFullReason(reason: string | null): boolean {
  return reason?.startsWith(DISK_FULL) ?? false;
}
