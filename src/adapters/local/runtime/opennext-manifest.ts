import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { behavioursOf, OPEN_NEXT_LAYOUT, parseManifest, pathRouter, type Behaviour, type Origin } from '../../../core/opennext-output.js';

export type { Origin };

/**
 * The request routing of a build, read from its `open-next.output.json` behaviours in the one
 * precedence order CloudFront is given too (core/opennext-output.ts), `*` being the server.
 */
export class OpenNextRoutes {
  private readonly route: (path: string) => Origin;

  private constructor(behaviours: readonly Behaviour[]) {
    this.route = pathRouter(behaviours);
  }

  static async load(artifactDir: string): Promise<OpenNextRoutes> {
    const manifest = parseManifest(await readFile(join(artifactDir, OPEN_NEXT_LAYOUT.manifest), 'utf8'));
    return new OpenNextRoutes(behavioursOf(manifest ?? { behaviors: [] }));
  }

  static from(behaviors: NonNullable<Parameters<typeof behavioursOf>[0]>['behaviors']): OpenNextRoutes {
    return new OpenNextRoutes(behavioursOf({ behaviors: behaviors ?? [] }));
  }

  originFor(urlPath: string): Origin {
    return this.route(urlPath);
  }
}
