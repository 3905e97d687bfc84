// spec.conversion validation of a CRD, with the apiserver's (internal) field names and messages.
import { describe, expect, it } from 'vitest';
import { validateCustomResourceDefinition } from '../../../src/apiextensions/index.js';
import { defaultCRD } from '../../../src/apiextensions/crd-strategy.js';
import type { CustomResourceDefinition } from '../../../src/apiextensions/index.js';
import { causes, widgetCRD } from './helpers.js';

const schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const withConversion = (conversion: unknown): CustomResourceDefinition => {
  const crd = widgetCRD(schema);
  crd.spec.conversion = conversion as CustomResourceDefinition['spec']['conversion'];
  return crd;
};
const fields = (crd: CustomResourceDefinition, old?: CustomResourceDefinition) =>
  causes(validateCustomResourceDefinition(crd, old))?.map((c) => `${c.field}: ${c.message}`) ?? [];

describe('CRD conversion validation', () => {
  it('accepts a Service webhook with v1 reviews, and defaults its port to 443', () => {
    const crd = withConversion({
      strategy: 'Webhook',
      webhook: {
        clientConfig: { service: { namespace: 'ns', name: 'conv', path: '/convert' } },
        conversionReviewVersions: ['v1'],
      },
    });
    expect(validateCustomResourceDefinition(crd)).toEqual([]);
    defaultCRD(crd);
    expect((crd.spec.conversion!.webhook as any).clientConfig.service.port).toBe(443);
  });

  it('refuses a Webhook without clientConfig, with both or neither of url and service, without review versions', () => {
    expect(
      fields(withConversion({ strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'] } })),
    ).toEqual([
      'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
    ]);
    expect(
      fields(
        withConversion({
          strategy: 'Webhook',
          webhook: { clientConfig: { url: 'https://a', service: { namespace: 'n', name: 'x' } } },
        }),
      ),
    ).toEqual([
      'spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required',
      'spec.conversion.conversionReviewVersions: Required value',
    ]);
  });

  it('checks the url and the service as admission webhooks are checked', () => {
    expect(
      fields(
        withConversion({
          strategy: 'Webhook',
          webhook: { clientConfig: { url: 'http://a/x?y=1' }, conversionReviewVersions: ['v1', 'v1'] },
        }),
      ),
    ).toEqual([
      `spec.conversion.webhookClientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
      'spec.conversion.webhookClientConfig.url: Invalid value: "y=1": query parameters are not permitted in the URL',
      'spec.conversion.conversionReviewVersions[1]: Invalid value: "v1": duplicate version',
    ]);
    expect(
      fields(
        withConversion({
          strategy: 'Webhook',
          webhook: { clientConfig: { service: { name: 'x', port: 0 } }, conversionReviewVersions: ['v3'] },
        }),
      ),
    ).toEqual([
      'spec.conversion.webhookClientConfig.service.namespace: Required value: service namespace is required',
      'spec.conversion.webhookClientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive',
      'spec.conversion.conversionReviewVersions: Invalid value: []string{"v3"}: must include at least one of v1, v1beta1',
    ]);
  });

  it('an update keeps unrecognized review versions the old CRD already had', () => {
    const old = withConversion({
      strategy: 'Webhook',
      webhook: { clientConfig: { url: 'https://a' }, conversionReviewVersions: ['v3'] },
    });
    expect(fields(old, old)).toEqual([]);
  });

  it('forbids webhook settings with strategy None', () => {
    expect(
      fields(
        withConversion({
          strategy: 'None',
          webhook: { clientConfig: { url: 'https://a' }, conversionReviewVersions: ['v1'] },
        }),
      ),
    ).toEqual([
      'spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook',
      'spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook',
    ]);
    expect(fields(withConversion({ strategy: 'Magic' }))).toEqual([
      'spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"',
    ]);
  });
});
