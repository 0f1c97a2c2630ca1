import type { WebhookRequest, WebhookResponse } from '../../../core/use-cases/receive-webhook.js';
import type { SqliteDatabase } from '../store/sqlite-database.js';

interface Waiting {
  request: WebhookRequest;
  resolve: (answer: WebhookResponse) => void;
}

const NOT_QUEUED: WebhookResponse = {
  status: 503,
  body: { message: 'The push could not be queued; redeliver it from GitHub (Settings → Webhooks → Recent Deliveries).' },
};

/**
 * Group commit for webhook deliveries: those whose bodies arrived in the same turn of the event
 * loop are taken in one SQLite write transaction, so a burst of 100 pays for one commit instead of
 * 300 (deployment, job, delivery id). No answer leaves before the commit that makes it true.
 *
 * The local ports answer without real I/O (SQLite is synchronous; log appends wait for the end of
 * the burst), so the transaction spans microtasks only. Anything else that writes meanwhile on this
 * connection joins it, which is harmless: nothing is rolled back unless the commit itself fails,
 * and then every delivery in the group is answered 503 (not recorded, so a redelivery is accepted).
 */
export class GroupedWebhookIntake {
  private group: Waiting[] = [];

  constructor(
    private readonly db: SqliteDatabase,
    private readonly receive: (request: WebhookRequest) => Promise<WebhookResponse>,
  ) {}

  submit(request: WebhookRequest): Promise<WebhookResponse> {
    return new Promise((resolve) => {
      this.group.push({ request, resolve });
      if (this.group.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const group = this.group;
    this.group = [];
    // Another caller's transaction is open (it never is across turns today): each one commits alone.
    let own = !this.db.inTransaction;
    if (own) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch {
        // Another process held the write lock past busy_timeout: each delivery tries on its own.
        own = false;
      }
    }
    const answers = await Promise.all(group.map((waiting) => this.receive(waiting.request).catch((): WebhookResponse => NOT_QUEUED)));
    let committed = true;
    if (own) {
      try {
        this.db.exec('COMMIT');
      } catch {
        committed = false;
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    }
    group.forEach((waiting, i) => waiting.resolve(committed ? (answers[i] as WebhookResponse) : NOT_QUEUED));
  }
}
