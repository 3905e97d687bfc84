#!/usr/bin/env bash
# Builds the local host cluster's binaries ONCE into a cache outside the repository and reuses them:
# kube-apiserver, kube-controller-manager, kube-scheduler and etcd from ./kube, kwok from ./kwok,
# the NetworkPolicy engine of the isolation test from ./netpol-engine,
# and (with --e2e) the conformance binary e2e.test plus ginkgo. Everything comes from the Go
# module proxy; nothing else is downloaded.
set -euo pipefail

usage() {
  cat <<EOF
Usage: $(basename "$0") [--e2e] [--print-dir] [--force]

Builds the local host binaries into \$KPLEX_CACHE/host-<version>/bin (default cache:
\${XDG_CACHE_HOME:-~/.cache}/kplex) unless they are already there.

  --e2e         also build the conformance binary e2e.test and the ginkgo CLI
  --print-dir   print the binary directory and exit (builds nothing)
  --force       rebuild even when the cache holds the binaries
  -h, --help    this help
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(sed -n 's/^\tk8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$here/kube/go.mod")
kwok_version=$(sed -n 's/^require sigs.k8s.io\/kwok \(v[0-9.]*\)$/\1/p' "$here/kwok/go.mod")
cache_root=${KPLEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kplex}
bin="$cache_root/host-$version/bin"

e2e=0 force=0
for arg in "$@"; do
  case "$arg" in
    --e2e) e2e=1 ;;
    --force) force=1 ;;
    --print-dir) echo "$bin"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

[ -n "$version" ] || { echo "cannot read the Kubernetes version from $here/kube/go.mod" >&2; exit 1; }
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:-} -mod=mod -trimpath"
export CGO_ENABLED=0

minor=${version#v1.}; minor=${minor%%.*}
ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$version \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z \
 -X k8s.io/client-go/pkg/version.gitVersion=$version \
 -X k8s.io/client-go/pkg/version.gitMajor=1 \
 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

start=$(date +%s)
step=0
steps=2; [ "$e2e" = 1 ] && steps=3

# Prints a line every 100 compiled packages so a cold build (10-25 minutes) shows it is alive.
progress() {
  awk -v label="$1" '{ n++; if (n % 100 == 0) { printf "  %s: %d packages compiled\n", label, n; fflush() } }
    END { printf "  %s: %d packages compiled\n", label, n }'
}

have() { for f in "$@"; do [ -x "$bin/$f" ] || return 1; done; }

build() { # build LABEL DIR OUTPUT... -- PACKAGES...
  local label=$1 dir=$2; shift 2
  step=$((step + 1))
  local outs=() pkgs=()
  while [ "$1" != "--" ]; do outs+=("$1"); shift; done; shift
  pkgs=("$@")
  if [ "$force" = 0 ] && have "${outs[@]}"; then
    echo "[$step/$steps] $label: cached in $bin"
    return
  fi
  echo "[$step/$steps] $label: building ${outs[*]} (first build downloads modules and compiles; later runs reuse the cache)"
  local t0; t0=$(date +%s)
  (cd "$here/$dir" && go mod download)
  local tmp; tmp=$(mktemp -d)
  for i in "${!pkgs[@]}"; do
    (cd "$here/$dir" && go build -v -ldflags "$ldflags" -o "$tmp/${outs[$i]}" "${pkgs[$i]}" 2>&1 | progress "${outs[$i]}")
    [ -x "$tmp/${outs[$i]}" ] || { echo "build of ${outs[$i]} failed; rerun: (cd $here/$dir && go build ${pkgs[$i]})" >&2; exit 1; }
  done
  mv "$tmp"/* "$bin/" && rmdir "$tmp"
  echo "  $label done in $(( $(date +%s) - t0 ))s"
}

build "Kubernetes $version + etcd" kube \
  kube-apiserver kube-controller-manager kube-scheduler etcd -- \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler go.etcd.io/etcd/server/v3

build "kwok $kwok_version" kwok kwok -- sigs.k8s.io/kwok/cmd/kwok

# cyclonus's NetworkPolicy matcher for test/integration/network-policy-engine.test.ts (which builds
# it too when missing), cached by cyclonus version beside the host binaries.
netpol_version=$(sed -n 's/^\tgithub.com\/mattfenwick\/cyclonus \(v[0-9.]*\)$/\1/p' "$here/netpol-engine/go.mod")
netpol="$cache_root/netpol-engine-$netpol_version/netpol-engine"
if [ "$force" = 0 ] && [ -x "$netpol" ]; then
  echo "netpol-engine $netpol_version: cached in $(dirname "$netpol")"
else
  echo "netpol-engine $netpol_version: building (cyclonus's NetworkPolicy matcher)"
  (cd "$here/netpol-engine" && go build -ldflags "-s -w" -o "$netpol" .)
fi

if [ "$e2e" = 1 ]; then
  step=$((step + 1))
  if [ "$force" = 0 ] && have e2e.test ginkgo; then
    echo "[$step/$steps] conformance: cached in $bin"
  else
    echo "[$step/$steps] conformance: building e2e.test and ginkgo (cold: 10-20 minutes on 2 cores)"
    t0=$(date +%s)
    tmp=$(mktemp -d)
    # -mod=readonly: tools.go pins everything e2e_test.go imports, so go.mod/go.sum are complete.
    # The dependencies are compiled first with `go build -v` (progress lines), then `go test -c`
    # only compiles the test package and links it with the version ldflags.
    (
      cd "$here/kube"
      go mod download
      mapfile -t deps < <(go list -mod=readonly -deps -test -f '{{if not .Standard}}{{.ImportPath}}{{end}}' \
        k8s.io/kubernetes/test/e2e | grep -v -e '^$' -e '\.test$' -e ' \[')
      go build -mod=readonly -v "${deps[@]}" 2>&1 | progress "e2e.test dependencies"
      go test -mod=readonly -c -vet=off -ldflags "$ldflags" -o "$tmp/e2e.test" k8s.io/kubernetes/test/e2e
      go build -mod=readonly -ldflags "$ldflags" -o "$tmp/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
    )
    for f in e2e.test ginkgo; do
      [ -x "$tmp/$f" ] || { echo "build of $f failed; rerun: bash $0 --e2e" >&2; exit 1; }
    done
    mv "$tmp/e2e.test" "$tmp/ginkgo" "$bin/" && rmdir "$tmp"
    echo "  conformance done in $(( $(date +%s) - t0 ))s"
  fi
fi

echo "host binaries ready in $bin ($(( $(date +%s) - start ))s)"
