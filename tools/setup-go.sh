#!/usr/bin/env bash
# Installs the Go command-line tools the tests use from the Go module proxy into .cache/bin, each
# at its pinned version, with a stamp beside it: fast when the pinned version is already there.
# (The bench's ghz is installed the same way, by bench/tools.py.)
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(
  # name     module                                      version
  "grpcurl   github.com/fullstorydev/grpcurl/cmd/grpcurl v1.9.4"  # tests/serving/test_grpcurl.py: reflection as grpcurl sees it
)

bin="$PWD/.cache/bin"
go="$(command -v go || echo /usr/local/go/bin/go)"  # make's PATH may lack Go's own bin directory
mkdir -p "$bin"
for tool in "${tools[@]}"; do
  read -r name module version <<<"$tool"
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/$name.version" 2>/dev/null)" = "$version" ]; then
    continue
  fi
  echo "installing $name $version from the Go module proxy"
  GOBIN="$bin" GOFLAGS=-buildvcs=false "$go" install "$module@$version"
  printf '%s' "$version" >"$bin/$name.version"
done
