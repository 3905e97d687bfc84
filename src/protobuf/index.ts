// Kubernetes protobuf (application/vnd.kubernetes.protobuf) for built-in kinds: envelope,
// object <-> JSON transcoding with Go's JSON conventions, watch frames.
export { decodeEnvelope, objectToProtobuf, protobufMediaType, protobufToObject } from './envelope.js';
export { hasProtobuf } from './schema.js';
export {
  decodeWatchEvent,
  encodeWatchFrame,
  protobufWatchContentType,
  WatchFrameReader,
} from './watch-frames.js';
export { ProtobufError } from './wire.js';
