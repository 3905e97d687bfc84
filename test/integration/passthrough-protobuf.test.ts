// A real client-go program speaking protobuf only (ContentType and Accept
// application/vnd.kubernetes.protobuf, as client-go's built-in clients and the conformance suite
// do) creates, gets, lists and watches pods in a tenant. The program is built once through the Go
// module proxy into the kplex cache and reused.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const MAIN_GO =
  '// A client-go program that speaks protobuf only: create, get, list and watch pods in a tenant.\npackage main\n\nimport (\n\t"context"\n\t"fmt"\n\t"os"\n\t"time"\n\n\tcorev1 "k8s.io/api/core/v1"\n\tmetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"\n\t"k8s.io/client-go/kubernetes"\n\t"k8s.io/client-go/tools/clientcmd"\n)\n\nfunc main() {\n\tcfg, err := clientcmd.BuildConfigFromFlags("", os.Args[1])\n\tmust(err)\n\tcfg.ContentType = "application/vnd.kubernetes.protobuf"\n\tcfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf"\n\tcs, err := kubernetes.NewForConfig(cfg)\n\tmust(err)\n\tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)\n\tdefer cancel()\n\tpods := cs.CoreV1().Pods("default")\n\tw, err := pods.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=go-pb"})\n\tmust(err)\n\tpod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "go-pb"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}\n\tcreated, err := pods.Create(ctx, pod, metav1.CreateOptions{})\n\tmust(err)\n\tfmt.Printf("created %s/%s\\n", created.Namespace, created.Name)\n\tgot, err := pods.Get(ctx, "go-pb", metav1.GetOptions{})\n\tmust(err)\n\tfmt.Printf("got %s/%s\\n", got.Namespace, got.Name)\n\tlist, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})\n\tmust(err)\n\tfor _, p := range list.Items {\n\t\tfmt.Printf("listed %s/%s\\n", p.Namespace, p.Name)\n\t}\n\tev := <-w.ResultChan()\n\tp := ev.Object.(*corev1.Pod)\n\tfmt.Printf("watched %s %s/%s\\n", ev.Type, p.Namespace, p.Name)\n\tw.Stop()\n}\n\nfunc must(err error) {\n\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n}\n';

const GO_MOD =
  'module kplex.dev/test/pbclient\n\ngo 1.23.0\n\nrequire (\n\tk8s.io/api v0.32.5\n\tk8s.io/apimachinery v0.32.5\n\tk8s.io/client-go v0.32.5\n)\n\nrequire (\n\tgithub.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc // indirect\n\tgithub.com/emicklei/go-restful/v3 v3.11.0 // indirect\n\tgithub.com/fxamacker/cbor/v2 v2.7.0 // indirect\n\tgithub.com/go-logr/logr v1.4.2 // indirect\n\tgithub.com/go-openapi/jsonpointer v0.21.0 // indirect\n\tgithub.com/go-openapi/jsonreference v0.20.2 // indirect\n\tgithub.com/go-openapi/swag v0.23.0 // indirect\n\tgithub.com/gogo/protobuf v1.3.2 // indirect\n\tgithub.com/golang/protobuf v1.5.4 // indirect\n\tgithub.com/google/gnostic-models v0.6.8 // indirect\n\tgithub.com/google/go-cmp v0.6.0 // indirect\n\tgithub.com/google/gofuzz v1.2.0 // indirect\n\tgithub.com/google/uuid v1.6.0 // indirect\n\tgithub.com/josharian/intern v1.0.0 // indirect\n\tgithub.com/json-iterator/go v1.1.12 // indirect\n\tgithub.com/mailru/easyjson v0.7.7 // indirect\n\tgithub.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect\n\tgithub.com/modern-go/reflect2 v1.0.2 // indirect\n\tgithub.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect\n\tgithub.com/pkg/errors v0.9.1 // indirect\n\tgithub.com/spf13/pflag v1.0.5 // indirect\n\tgithub.com/x448/float16 v0.8.4 // indirect\n\tgolang.org/x/net v0.30.0 // indirect\n\tgolang.org/x/oauth2 v0.23.0 // indirect\n\tgolang.org/x/sys v0.26.0 // indirect\n\tgolang.org/x/term v0.25.0 // indirect\n\tgolang.org/x/text v0.19.0 // indirect\n\tgolang.org/x/time v0.7.0 // indirect\n\tgoogle.golang.org/protobuf v1.35.1 // indirect\n\tgopkg.in/evanphx/json-patch.v4 v4.12.0 // indirect\n\tgopkg.in/inf.v0 v0.9.1 // indirect\n\tgopkg.in/yaml.v3 v3.0.1 // indirect\n\tk8s.io/klog/v2 v2.130.1 // indirect\n\tk8s.io/kube-openapi v0.0.0-20241105132330-32ad38e42d3f // indirect\n\tk8s.io/utils v0.0.0-20241104100929-3ea5e8cea738 // indirect\n\tsigs.k8s.io/json v0.0.0-20241010143419-9aa6b5e7a4b3 // indirect\n\tsigs.k8s.io/structured-merge-diff/v4 v4.4.2 // indirect\n\tsigs.k8s.io/yaml v1.4.0 // indirect\n)\n';

function buildClient(): string {
  const hash = createHash('sha256')
    .update(MAIN_GO + GO_MOD)
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(
    process.env['KPLEX_CACHE'] ?? path.join(os.homedir(), '.cache', 'kplex'),
    `pbclient-${hash}`,
  );
  const bin = path.join(dir, 'pbclient');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'main.go'), MAIN_GO);
  writeFileSync(path.join(dir, 'go.mod'), GO_MOD);
  for (const args of [
    ['mod', 'tidy'],
    ['build', '-o', 'pbclient', '.'],
  ]) {
    const r = spawnSync('go', args, { cwd: dir, encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`go ${args.join(' ')}: ${r.stderr}`);
  }
  return bin;
}

describe('host passthrough: a protobuf client-go program', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;
  let bin: string;

  beforeAll(async () => {
    bin = buildClient();
    env = await startTenantEnv(host);
    kc = await env.tenant('pt-proto');
  }, 660_000);
  afterAll(async () => env?.close());

  it('creates, gets, lists and watches pods with virtual namespace names', () => {
    const r = spawnSync(bin, [kc], { encoding: 'utf8', timeout: 60_000 });
    // client-go prints the host's Warning headers: the tenant's Pod Security warn level (restricted
    // by default) warns about this plain pod; nothing else may be printed.
    const printed = r.stderr
      .split('\n')
      .filter((l) => l && !l.includes('would violate PodSecurity "restricted:latest"'));
    expect(printed).toEqual([]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('created default/go-pb');
    expect(lines).toContain('got default/go-pb');
    expect(lines).toContain('listed default/go-pb');
    expect(lines).toContain('watched ADDED default/go-pb');
    expect(r.stdout).not.toContain('pt-proto-');
  });
});
