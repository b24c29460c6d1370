# frozen_string_literal: true

require "test_helper"
require "open3"
require "rubygems/package"
require "tmpdir"

class GemPackageTest < Minitest::Test
  ROOT = File.expand_path("../..", __dir__)

  def test_gem_build_ships_the_generated_code_and_service_config
    Dir.mktmpdir do |dir|
      out, status = Open3.capture2e("gem", "build", File.join(ROOT, "supportability.gemspec"),
                                    "--output", File.join(dir, "supportability.gem"), chdir: ROOT)
      assert status.success?, out
      spec = Gem::Package.new(File.join(dir, "supportability.gem")).spec
      assert_equal Supportability::VERSION, spec.version.to_s
      assert_includes spec.files, "lib/supportability/v1/prediction_service_pb.rb"
      assert_includes spec.files, "lib/supportability/v1/supportability_grpc_service_config.json"
      assert_includes spec.files, "lib/generators/supportability/install/templates/supportability.rb.tt"
    end
  end

  # The runtime dependencies must admit Debian's packages, and google-protobuf 4.x for newer apps.
  def test_dependencies_admit_debian_and_protobuf_v4
    spec = Gem::Specification.load(File.join(ROOT, "supportability.gemspec"))
    requirements = spec.runtime_dependencies.to_h { |d| [d.name, d.requirement] }
    { "grpc" => %w[1.51.1], "google-protobuf" => %w[3.21.12 4.29.3],
      "googleapis-common-protos-types" => %w[1.4.0] }.each do |name, versions|
      versions.each { |v| assert requirements.fetch(name).satisfied_by?(Gem::Version.new(v)), "#{name} #{v}" }
    end
  end
end
