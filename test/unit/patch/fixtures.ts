// Shared schemas and objects for the patch engine tests.
import { schemaNodeFromOpenAPIV3 } from '../../../src/patch/index.js';

/** A CRD openAPIV3Schema shaped like a Deployment, with the list types SSA needs. */
export const webAppOpenAPI = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        paused: { type: 'boolean' },
        selector: {
          type: 'object',
          properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
        },
        args: { type: 'array', items: { type: 'string' } },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        resources: {
          type: 'object',
          'x-kubernetes-map-type': 'atomic',
          properties: { cpu: { type: 'string' }, memory: { type: 'string' } },
        },
        template: {
          type: 'object',
          properties: {
            metadata: {
              type: 'object',
              properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } },
            },
            spec: {
              type: 'object',
              properties: {
                containers: {
                  type: 'array',
                  'x-kubernetes-list-type': 'map',
                  'x-kubernetes-list-map-keys': ['name'],
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      image: { type: 'string' },
                      ports: {
                        type: 'array',
                        'x-kubernetes-list-type': 'map',
                        'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
                        items: {
                          type: 'object',
                          properties: {
                            containerPort: { type: 'integer' },
                            protocol: { type: 'string', default: 'TCP' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'integer' } } },
  },
};

export const webAppSchema = schemaNodeFromOpenAPIV3(webAppOpenAPI);

export function webApp(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'stable.example.com/v1',
    kind: 'WebApp',
    metadata: { name: 'web', namespace: 'default', ...metadata },
    spec,
  };
}

export const fullSpec = {
  replicas: 2,
  selector: { matchLabels: { app: 'web' } },
  template: {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
    },
  },
};
