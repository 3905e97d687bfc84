// Kubernetes protobuf (application/vnd.kubernetes.protobuf) for built-in kinds: envelope,
// object <-> JSON transcoding with Go's JSON conventions, watch frames.
export {
  decodeEnvelope,
  encodeEnvelope,
  envelopeMagic,
  hasEnvelopeMagic,
  objectToProtobuf,
  protobufMediaType,
  protobufToObject,
  UnknownKindError,
  type Envelope,
  type DecodeObjectOptions,
} from './envelope.js';
export { hasProtobuf, messageNameForKind } from './schema.js';
export { decodeMessage, encodeMessage } from './transcode.js';
export {
  decodeWatchEvent,
  decodeWatchEventRaw,
  encodeWatchFrame,
  encodeWatchFrameRaw,
  protobufWatchContentType,
  WatchFrameReader,
  type WatchEventJSON,
} from './watch-frames.js';
export { ProtobufError } from './wire.js';
