// Kubernetes-aware ordering of API version strings (k8s.io/apimachinery/pkg/version/helpers.go):
// GA > beta > alpha, then by major, then by minor; non-matching strings sort after, reverse-lexically.

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;
const typeRank = { alpha: 0, beta: 1, ga: 2 } as const;

function parse(v: string): { major: number; type: number; minor: number } | undefined {
  const m = KUBE_VERSION.exec(v);
  if (!m) return undefined;
  const type = m[2] === 'alpha' ? typeRank.alpha : m[2] === 'beta' ? typeRank.beta : typeRank.ga;
  return { major: Number(m[1]), type, minor: m[3] ? Number(m[3]) : 0 };
}

/** Positive when `a` is the higher-priority version, negative when `b` is, 0 when equal. */
export function compareKubeAwareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return b < a ? -1 : b > a ? 1 : 0; // strings.Compare(v2, v1)
  if (!pa) return -1;
  if (!pb) return 1;
  if (pa.type !== pb.type) return pa.type - pb.type;
  if (pa.major !== pb.major) return pa.major - pb.major;
  return pa.minor - pb.minor;
}
