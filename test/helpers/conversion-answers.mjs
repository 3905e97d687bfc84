// What the tests' conversion webhook answers, by path: a ConversionReview (v1 or v1beta1, as
// asked) converting the e2e suite's example between v1 `spec.hostPort: "host:port"` and v2
// `spec.host` + `spec.port` (the agnhost crd-conversion-webhook's converter), or one of the
// broken answers the tests need. Shared by webhook-server.mjs and in-process unit tests.

/** One object to `to` (agnhost's example converter). */
function convert(o, to) {
  const from = String(o.apiVersion).split('/')[1];
  const want = to.split('/')[1];
  const c = JSON.parse(JSON.stringify(o));
  c.apiVersion = to;
  const spec = (c.spec ??= {});
  if (from === 'v1' && want === 'v2' && 'hostPort' in spec) {
    const parts = String(spec.hostPort).split(':');
    if (parts.length !== 2) throw new Error(`invalid hostPort value \`${spec.hostPort}\``);
    [spec.host, spec.port] = parts;
    delete spec.hostPort;
  } else if (from === 'v2' && want === 'v1' && ('host' in spec || 'port' in spec)) {
    spec.hostPort = `${spec.host ?? ''}:${spec.port ?? ''}`;
    delete spec.host;
    delete spec.port;
  }
  return c;
}

/**
 * The answer to `review` at `path`: `{ status, body }`, or `{ hang: true }` (never answer), or
 * `{ delayMs, ... }` (answer late).
 */
export function conversionAnswer(path, review) {
  const req = review.request ?? {};
  const to = req.desiredAPIVersion;
  const objects = req.objects ?? [];
  const reply = (response, over = {}) => ({
    status: 200,
    body: JSON.stringify({ apiVersion: review.apiVersion, kind: 'ConversionReview', response, ...over }),
  });
  const success = (convertedObjects) =>
    reply({ uid: req.uid, result: { status: 'Success' }, convertedObjects });
  let converted;
  try {
    converted = objects.map((o) => convert(o, to));
  } catch (err) {
    return reply({ uid: req.uid, result: { status: 'Failure', message: err.message } });
  }
  switch (path) {
    case '/convert':
      return success(converted);
    case '/convert-slow':
      return { ...success(converted), delayMs: 3_000 };
    case '/convert-fail':
      return reply({
        uid: req.uid,
        result: { status: 'Failure', message: 'the test converter refuses this' },
      });
    case '/convert-failed-silent':
      return reply({ uid: req.uid, result: { status: 'Failure' } });
    case '/convert-bad-uid':
      return reply({
        uid: 'not-the-request-uid',
        result: { status: 'Success' },
        convertedObjects: converted,
      });
    case '/convert-none':
      return success([]);
    case '/convert-same-version':
      return success(objects);
    case '/convert-rename':
      return success(
        converted.map((o) => ({ ...o, metadata: { ...o.metadata, name: `${o.metadata.name}-x` } })),
      );
    case '/convert-move':
      return success(converted.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'elsewhere' } })));
    case '/convert-uid':
      return success(converted.map((o) => ({ ...o, metadata: { ...o.metadata, uid: 'forged' } })));
    case '/convert-meta':
      // Labels and annotations may change; everything else of metadata is restored by the server.
      return success(
        converted.map((o) => ({
          ...o,
          metadata: {
            ...o.metadata,
            labels: { ...o.metadata.labels, converted: 'yes' },
            generation: 1000,
            finalizers: ['forged.example.com/x'],
          },
        })),
      );
    case '/convert-bad-label':
      return success(
        converted.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { 'bad key!': 'v' } } })),
      );
    case '/convert-huge':
      return success(converted.map((o) => ({ ...o, spec: { ...o.spec, pad: 'x'.repeat(5 * 1024 * 1024) } })));
    case '/convert-not-json':
      return { status: 200, body: 'this is not json' };
    case '/convert-500':
      return { status: 500, body: 'broken' };
    case '/convert-hang':
      return { hang: true };
    default:
      return success(converted);
  }
}
