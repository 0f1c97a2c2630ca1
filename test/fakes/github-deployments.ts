/**
 * The deployments and commit statuses part of the GitHub API fake (github-api.ts): the routes,
 * shapes and validation rules of api.github.com for
 *   GET/POST /repos/{o}/{r}/deployments, GET/POST /repos/{o}/{r}/deployments/{id}/statuses,
 *   POST /repos/{o}/{r}/statuses/{sha}.
 * Deployments list newest first and filter by sha and environment; a later `success` status marks
 * the environment's earlier deployments inactive (auto_inactive); unknown states and descriptions
 * over 140 characters are 422.
 */

export interface FakeDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  description: string | null;
  payload: unknown;
  auto_merge: unknown;
  required_contexts: unknown;
  production_environment: boolean;
  transient_environment: boolean;
  created_at: string;
  statuses: FakeDeploymentStatus[];
}

export interface FakeDeploymentStatus {
  id: number;
  state: string;
  log_url: string;
  environment_url: string;
  description: string;
  created_at: string;
}

export interface FakeCommitStatus {
  id: number;
  sha: string;
  state: string;
  target_url: string | null;
  description: string | null;
  context: string;
  created_at: string;
}

export interface RepoDeploymentsState {
  deployments: FakeDeployment[];
  commitStatuses: FakeCommitStatus[];
}

type Fail = (status: number, message: string, docs: string, errors?: unknown[]) => Error;
type Answer = { status: number; body?: unknown };

const DOCS = 'https://docs.github.com/rest/deployments';
const DEPLOYMENT_STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
const COMMIT_STATES = ['error', 'failure', 'pending', 'success'];

let nextId = 900_000_001;

/** Answers a deployments/statuses route, or null when the path is not one of them. */
export function deploymentsRoute(
  state: RepoDeploymentsState,
  request: { method: string; rest: string; url: URL; body: Record<string, unknown>; baseUrl: string; owner: string; repo: string; now: string },
  fail: Fail,
): Answer | null {
  const { method, rest, body, now } = request;
  const repoUrl = `${request.baseUrl}/repos/${request.owner}/${request.repo}`;
  const present = (d: FakeDeployment): Record<string, unknown> => {
    const { statuses: _statuses, ...rest_ } = d;
    return { ...rest_, url: `${repoUrl}/deployments/${d.id}`, statuses_url: `${repoUrl}/deployments/${d.id}/statuses`, task: 'deploy', original_environment: d.environment };
  };

  if (rest === 'deployments') {
    if (method === 'GET') {
      const sha = request.url.searchParams.get('sha');
      const environment = request.url.searchParams.get('environment');
      const found = state.deployments.filter((d) => (sha === null || d.sha === sha) && (environment === null || d.environment === environment));
      return { status: 200, body: [...found].reverse().map(present) };
    }
    if (method === 'POST') {
      if (typeof body['ref'] !== 'string' || body['ref'] === '') throw fail(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', `${DOCS}/deployments#create-a-deployment`);
      if (body['required_contexts'] !== undefined && !Array.isArray(body['required_contexts'])) throw fail(422, 'Invalid request.', `${DOCS}/deployments#create-a-deployment`);
      const environment = typeof body['environment'] === 'string' ? body['environment'] : 'production';
      const deployment: FakeDeployment = {
        id: nextId++,
        sha: body['ref'],
        ref: body['ref'],
        environment,
        description: typeof body['description'] === 'string' ? body['description'] : null,
        payload: body['payload'] ?? {},
        auto_merge: body['auto_merge'],
        required_contexts: body['required_contexts'],
        production_environment: body['production_environment'] === undefined ? environment === 'production' : Boolean(body['production_environment']),
        transient_environment: Boolean(body['transient_environment']),
        created_at: now,
        statuses: [],
      };
      state.deployments.push(deployment);
      return { status: 201, body: present(deployment) };
    }
    throw fail(404, 'Not Found', DOCS);
  }

  const statuses = /^deployments\/(\d+)\/statuses$/.exec(rest);
  if (statuses) {
    const deployment = state.deployments.find((d) => d.id === Number(statuses[1]));
    if (!deployment) throw fail(404, 'Not Found', `${DOCS}/statuses`);
    if (method === 'GET') return { status: 200, body: [...deployment.statuses].reverse() };
    if (method !== 'POST') throw fail(404, 'Not Found', `${DOCS}/statuses`);
    if (typeof body['state'] !== 'string' || !DEPLOYMENT_STATES.includes(body['state'])) {
      throw fail(422, 'Validation Failed', `${DOCS}/statuses#create-a-deployment-status`, [{ resource: 'DeploymentStatus', code: 'custom', field: 'state', message: 'state is not included in the list' }]);
    }
    const status: FakeDeploymentStatus = {
      id: nextId++,
      state: body['state'],
      log_url: typeof body['log_url'] === 'string' ? body['log_url'] : '',
      environment_url: typeof body['environment_url'] === 'string' ? body['environment_url'] : '',
      description: typeof body['description'] === 'string' ? body['description'] : '',
      created_at: now,
    };
    deployment.statuses.push(status);
    if (status.state === 'success' && body['auto_inactive'] !== false) {
      for (const other of state.deployments) {
        if (other !== deployment && other.environment === deployment.environment && other.statuses.at(-1)?.state === 'success') {
          other.statuses.push({ ...status, id: nextId++, state: 'inactive', description: '', environment_url: '' });
        }
      }
    }
    return { status: 201, body: { ...status, url: `${repoUrl}/deployments/${deployment.id}/statuses/${status.id}`, deployment_url: `${repoUrl}/deployments/${deployment.id}` } };
  }

  const commit = /^statuses\/([0-9a-f]{4,40})$/.exec(rest);
  if (commit && method === 'POST') {
    const docs = 'https://docs.github.com/rest/commits/statuses#create-a-commit-status';
    if (typeof body['state'] !== 'string' || !COMMIT_STATES.includes(body['state'])) {
      throw fail(422, 'Validation Failed', docs, [{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }]);
    }
    if (typeof body['description'] === 'string' && body['description'].length > 140) {
      throw fail(422, 'Validation Failed', docs, [{ resource: 'Status', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }]);
    }
    const status: FakeCommitStatus = {
      id: nextId++,
      sha: commit[1] ?? '',
      state: body['state'],
      target_url: typeof body['target_url'] === 'string' ? body['target_url'] : null,
      description: typeof body['description'] === 'string' ? body['description'] : null,
      context: typeof body['context'] === 'string' ? body['context'] : 'default',
      created_at: now,
    };
    state.commitStatuses.push(status);
    return { status: 201, body: status };
  }
  return null;
}
