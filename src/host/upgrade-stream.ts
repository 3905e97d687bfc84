// Which bytes of an upgraded WebSocket stream kplex rewrites. Container I/O passes as it is; the
// error channels carry the host's own text (a metav1.Status for exec and attach, a message for
// port forwarding) that names host namespaces, so their messages get the same rewriting as any
// host answer. Keyed by subresource and the subprotocol the host chose (wsstream's channel
// protocols: the channel is the payload's first byte, or its ASCII digit in the base64 ones).
// SPDY, and SPDY tunnelled in WebSocket (`SPDY/3.1+portforward.k8s.io`), are not parsed.
import { statusFailure } from '../api/status.js';
import { ServerFrameRewriter } from './websocket-frames.js';

interface ChannelProtocol {
  base64: boolean;
  isErrorChannel: (channel: number) => boolean;
  /** Sent on the error channel instead of an error message over the buffering limit. */
  tooLarge: string;
}

const STATUS_TOO_LARGE = JSON.stringify(
  statusFailure(
    500,
    'InternalError',
    'Internal error occurred: the error the host sent on the stream was too large to pass on',
  ).status,
);

const remotecommand = (base64: boolean): ChannelProtocol => ({
  base64,
  isErrorChannel: (c) => c === 3,
  tooLarge: STATUS_TOO_LARGE,
});
// Port forwarding: channel 2i is port i's data, 2i+1 its errors (plain text).
const portforward = (base64: boolean): ChannelProtocol => ({
  base64,
  isErrorChannel: (c) => c % 2 === 1,
  tooLarge: 'an error occurred forwarding the port; its message from the host was too large to pass on',
});

const REMOTECOMMAND_PROTOCOLS: Record<string, ChannelProtocol> = {
  '': remotecommand(false),
  'channel.k8s.io': remotecommand(false),
  'base64.channel.k8s.io': remotecommand(true),
  'v4.channel.k8s.io': remotecommand(false),
  'v4.base64.channel.k8s.io': remotecommand(true),
  'v5.channel.k8s.io': remotecommand(false),
};

const WEBSOCKET_PROTOCOLS: Record<string, Record<string, ChannelProtocol>> = {
  exec: REMOTECOMMAND_PROTOCOLS,
  attach: REMOTECOMMAND_PROTOCOLS,
  portforward: {
    '': portforward(false),
    'v4.channel.k8s.io': portforward(false),
    'v4.base64.channel.k8s.io': portforward(true),
  },
};

const DIGIT_0 = 0x30;

/** The pod subresource an upgrade path addresses. */
export function upgradeSubresource(pathAndQuery: string): string | undefined {
  return /\/pods\/[^/?]+\/(exec|attach|portforward)(?:\?|$)/.exec(pathAndQuery)?.[1];
}

/**
 * The host-to-client transform of a WebSocket stream: error channel messages and close reasons
 * rewritten by `rewriteText`, every other frame as the host sent it.
 */
export function webSocketRewriter(
  subresource: string | undefined,
  protocol: string,
  rewriteText: (text: string) => string,
): ServerFrameRewriter {
  const p = WEBSOCKET_PROTOCOLS[subresource ?? '']?.[protocol.trim()];
  const channelOf = (first: number): number => (p?.base64 ? first - DIGIT_0 : first);
  const encode = (text: string): Buffer =>
    p?.base64 ? Buffer.from(Buffer.from(text, 'latin1').toString('base64')) : Buffer.from(text, 'latin1');
  const decode = (body: Buffer): string =>
    (p?.base64 ? Buffer.from(body.toString('latin1'), 'base64') : body).toString('latin1');
  return new ServerFrameRewriter({
    select: (_opcode, first) => p !== undefined && p.isErrorChannel(channelOf(first)),
    // latin1 keeps every byte as one character, so text that needs no rewriting comes back as it was.
    rewrite: (payload) => {
      const text = decode(payload.subarray(1));
      const out = rewriteText(text);
      return out === text ? payload : Buffer.concat([payload.subarray(0, 1), encode(out)]);
    },
    tooLarge: (payload) => Buffer.concat([payload.subarray(0, 1), encode(p?.tooLarge ?? '')]),
    rewriteText,
  });
}
