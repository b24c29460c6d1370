#!/usr/bin/env bash
# Installs the Debian packages the build needs, only those missing (fast when all are present).
# Ruby and every gem come from Debian: there is no RubyGems registry on these machines.
set -euo pipefail

packages=(
  ruby ruby-grpc ruby-google-protobuf ruby-googleapis-common-protos-types  # Ruby client runtime
  rake ruby-minitest rubocop                                             # Ruby tests and lint
  ruby-rails puma ruby-sidekiq redis-server                              # Rails example app under Puma and Sidekiq
  protobuf-compiler-grpc                                                 # grpc_ruby_plugin
  openssl                                                                # test certificates
  postgresql                                                             # the online store's second backend (tests start their own)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
