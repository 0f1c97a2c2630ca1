import { ref, type CfnValue, type Parameter } from './cfn.js';

/**
 * A project's custom domains in its stack. The domains check sets the distribution's aliases and
 * ACM certificate with UpdateDistribution, outside CloudFormation; a later stack update would put
 * back whatever the template says. So the template says it too: these parameters carry the
 * aliases and certificate, and `deployProjectStack` passes the distribution's current ones
 * (read just before) on every update, so an update keeps them.
 */
export const DOMAIN_PARAMETERS: Record<'DomainAliases' | 'CertificateArn', Parameter> = {
  DomainAliases: { Type: 'CommaDelimitedList', Description: 'Custom domains of the site (set by anchor domains; empty: none)' },
  CertificateArn: { Type: 'String', AllowedPattern: '^(arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+)?$', Description: 'ACM certificate (us-east-1) covering the custom domains' },
};

export const DOMAIN_CONDITIONS: Record<string, CfnValue> = {
  HasCustomDomains: { 'Fn::Not': [{ 'Fn::Equals': [ref('CertificateArn'), ''] }] },
};

/** The DistributionConfig fields the parameters drive: aliases and the viewer certificate, together. */
export function distributionDomains(): Record<string, CfnValue> {
  return {
    Aliases: { 'Fn::If': ['HasCustomDomains', ref('DomainAliases'), ref('AWS::NoValue')] },
    ViewerCertificate: {
      'Fn::If': ['HasCustomDomains', { AcmCertificateArn: ref('CertificateArn'), SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' }, { CloudFrontDefaultCertificate: true }],
    },
  };
}

/** The stack parameters for the distribution's current aliases and certificate. */
export function domainParameterValues(current: { aliases: readonly string[]; certificateArn: string | null }): Record<'DomainAliases' | 'CertificateArn', string> {
  return current.certificateArn && current.aliases.length > 0 ? { DomainAliases: current.aliases.join(','), CertificateArn: current.certificateArn } : { DomainAliases: '', CertificateArn: '' };
}
