// A small admission webhook program for tests, run as its own process (the tests' kubectl calls
// block the test process): HTTPS with the certificate it is given, AdmissionReview v1 answered by
// path, ConversionReviews answered by conversion-answers.mjs, and GET /_received listing the
// requests it got. Prints "listening <port>" when ready.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:https';
import { networkInterfaces } from 'node:os';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { conversionAnswer } from './conversion-answers.mjs';

const received = {};
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64');

/** What each path answers. */
function answer(path, req) {
  const base = { uid: req.uid };
  switch (path) {
    case '/deny':
      return { ...base, allowed: false, status: { code: 403, message: 'the test webhook refuses this' } };
    case '/deny-422':
      return {
        ...base,
        allowed: false,
        status: { code: 422, reason: 'Invalid', message: 'name must not start with bad' },
      };
    case '/label': {
      const patch = req.object?.metadata?.labels
        ? [{ op: 'add', path: '/metadata/labels/webhook', value: 'was-here' }]
        : [{ op: 'add', path: '/metadata/labels', value: { webhook: 'was-here' } }];
      return {
        ...base,
        allowed: true,
        patchType: 'JSONPatch',
        patch: b64(patch),
        warnings: ['labelled by the test webhook'],
      };
    }
    case '/bad-uid':
      return { uid: 'not-the-request-uid', allowed: true };
    case '/move':
      // Tries to move the object into another namespace.
      return {
        ...base,
        allowed: true,
        patchType: 'JSONPatch',
        patch: b64([{ op: 'replace', path: '/metadata/namespace', value: 'elsewhere' }]),
      };
    case '/huge':
      return { ...base, allowed: true, warnings: ['x'.repeat(5 * 1024 * 1024)] };
    default:
      return { ...base, allowed: true, warnings: [`seen by ${path}`] };
  }
}

const server = createServer({ cert: process.env.WEBHOOK_CERT, key: process.env.WEBHOOK_KEY }, (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/_received') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(received));
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let review;
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      return res.end(String(err));
    }
    (received[path] ??= []).push(review.request);
    if (review.kind === 'ConversionReview') {
      // CRD conversion webhooks (conversion-answers.mjs).
      const a = conversionAnswer(path, review);
      if (a.hang) return;
      const send = () => {
        res.writeHead(a.status, { 'Content-Type': 'application/json' });
        res.end(a.body);
      };
      if (a.delayMs) setTimeout(send, a.delayMs).unref();
      else send();
      return;
    }
    const reply = () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: answer(path, review.request),
        }),
      );
    };
    // '/slow' answers after every timeout the tests set (1-2 s).
    if (path === '/slow') setTimeout(reply, 5_000).unref();
    else reply();
  });
});
// It must listen on a non-loopback address (the host refuses loopback Endpoints), so it talks to
// this machine only: a connection from any other address is closed before its TLS handshake.
const local = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
for (const list of Object.values(networkInterfaces()))
  for (const i of list ?? []) local.add(i.address).add(`::ffff:${i.address}`);
server.on('connection', (socket) => {
  if (!local.has(socket.remoteAddress ?? '')) socket.destroy();
});
server.listen(0, process.env.WEBHOOK_IP, () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
