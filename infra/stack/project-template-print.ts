import { ref, type CfnValue, type Template } from './cfn.js';
import { projectTemplate } from './project-template.js';

/** The platform resources a project stack uses, as parameters of a printed template (names as the platform stack outputs them). */
const PLATFORM_PARAMETERS = {
  ArtifactsBucketName: 'S3 bucket of build artifacts (platform stack output ArtifactsBucketName)',
  AssetsBucketName: 'S3 bucket of static assets (platform stack output AssetsBucketName)',
  CacheBucketName: 'S3 bucket of the ISR cache (platform stack output CacheBucketName)',
} as const;

/**
 * A project's stack template as `projects add` would deploy it, standing alone: the platform's
 * buckets become parameters instead of the values a platform config would give. Every place the
 * template names a bucket gets the parameter: inside Fn::Sub text as `${Name}`, elsewhere as a Ref.
 */
export function printableProjectTemplate(stage: string, project: string): Template {
  const template = projectTemplate({ stage, project, platform: { artifactsBucket: '${ArtifactsBucketName}', assetsBucket: '${AssetsBucketName}', cacheBucket: '${CacheBucketName}' } });
  const parameters = Object.fromEntries(Object.entries(PLATFORM_PARAMETERS).map(([name, Description]) => [name, { Type: 'String' as const, Description }]));
  return { ...template, Parameters: { ...parameters, ...(template.Parameters ?? {}) }, Resources: asRefs(template.Resources as unknown as CfnValue) as unknown as Template['Resources'] };
}

/** Replaces a value that is exactly a placeholder (not part of Fn::Sub text) by a Ref to its parameter. */
function asRefs(value: CfnValue): CfnValue {
  if (typeof value === 'string') {
    const name = /^\$\{(\w+)\}$/.exec(value)?.[1];
    return name !== undefined && name in PLATFORM_PARAMETERS ? ref(name) : value;
  }
  if (Array.isArray(value)) return value.map(asRefs);
  if (value !== null && typeof value === 'object') {
    if ('Fn::Sub' in value) return value;
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asRefs(inner as CfnValue)]));
  }
  return value;
}
