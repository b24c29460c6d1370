# frozen_string_literal: true

require_relative "lib/supportability/version"

Gem::Specification.new do |spec|
  spec.name = "supportability"
  spec.version = Supportability::VERSION
  spec.summary = "Ruby client and Rails integration for the Supportability prediction service"
  spec.description = "Calls the Supportability gRPC service (routing, escalation, urgency, CSAT risk, " \
                     "time to resolution, auto-route decisions) from Ruby and Rails: typed errors, deadlines, " \
                     "retries from the contract's service config, fork-safe lazy channels, " \
                     "ActiveSupport::Notifications events and a Rails install generator."
  spec.authors = ["Supportability"]
  spec.license = "Apache-2.0"
  spec.homepage = "https://supportability.dev"
  spec.required_ruby_version = ">= 3.1"

  # The code generated from proto/ (lib/supportability/v1, with the service config) ships in the gem.
  spec.files = Dir["lib/**/*.{rb,json,tt}", "bin/*", "README.md"]
  spec.bindir = "bin"
  spec.executables = %w[supportability-bench supportability-golden-vectors]
  spec.require_paths = ["lib"]
  spec.metadata["rubygems_mfa_required"] = "true"

  # Lower bounds are Debian 12's packages; the generated code is in the serialized-descriptor form,
  # which google-protobuf 3.21 and 4.x both load.
  spec.add_dependency "googleapis-common-protos-types", ">= 1.4", "< 2"
  spec.add_dependency "google-protobuf", ">= 3.21.12", "< 5"
  spec.add_dependency "grpc", ">= 1.51.1", "< 2"
end
