# frozen_string_literal: true

require "test_helper"
require "json"
require "open3"
require "socket"
require "tmpdir"
require "support/repo"
require "support/shared_server"

# The runner the cross-language test calls (it compares the three languages' outputs); here, its
# output must be the predictions this client gets for the same requests.
class GoldenVectorsTest < Minitest::Test
  RUNNER = File.expand_path("../../bin/supportability-golden-vectors", __dir__)
  VECTORS = Repo.root / "tests/vectors/cases.json"
  # Names one prediction: a new UUIDv7 on every call, so never equal between two calls.
  PER_CALL = %w[predictionId].freeze

  # The major version of the golden-vector spec these tests check.
  SPEC_MAJOR = "1"

  def test_the_runner_writes_one_prediction_per_vector
    document = JSON.parse(VECTORS.read)
    assert document.fetch("specVersion").start_with?("#{SPEC_MAJOR}."), document["specVersion"]
    vectors = document.fetch("vectors")
    Dir.mktmpdir do |dir|
      out_path = File.join(dir, "ruby.jsonl")
      out, status = Open3.capture2e(RbConfig.ruby, RUNNER, SharedServer.target, VECTORS.to_s, out_path)
      assert status.success?, out

      lines = File.readlines(out_path).map { |line| JSON.parse(line) }
      assert_equal(vectors.map { |v| v["name"] }, lines.map { |line| line["name"] })
      client = Supportability::Client.new(target: SharedServer.target)
      vectors.zip(lines).each do |vector, line|
        assert line.dig("prediction", "routing", "topQueues").any?, line["name"]
        request = Supportability::V1::PredictCaseRequest.decode_json(JSON.generate(vector["request"]))
        expected = JSON.parse(Supportability::V1::CasePrediction.encode_json(client.predict_case(request).prediction))
        actual = line["prediction"]
        PER_CALL.each { |key| assert_match(/\A\h{8}-\h{4}-7\h{3}-/, actual[key], "#{line['name']}.#{key}") }
        assert_same_json expected.except(*PER_CALL), actual.except(*PER_CALL), line["name"]
      end
      client.close
    end
  end

  # Equal JSON, except that numbers need only agree to 1e-6 (as across languages): the service batches calls,
  # and a case's floats can differ in the last bits with the batch it was computed in.
  def assert_same_json(expected, actual, path)
    case expected
    when Hash
      assert_equal expected.keys.sort, actual.keys.sort, path
      expected.each { |key, value| assert_same_json(value, actual[key], "#{path}.#{key}") }
    when Array
      assert_equal expected.size, actual.size, path
      expected.zip(actual).each_with_index { |(e, a), i| assert_same_json(e, a, "#{path}[#{i}]") }
    when Numeric then assert_in_delta expected, actual, 1e-6, path
    else assert_equal expected, actual, path
    end
  end

  def test_the_runner_fails_when_the_service_is_unreachable
    port = TCPServer.open("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    Dir.mktmpdir do |dir|
      out, status = Open3.capture2e(RbConfig.ruby, RUNNER, "127.0.0.1:#{port}", VECTORS.to_s, File.join(dir, "o.jsonl"))
      refute status.success?
      assert_includes out, "Supportability::UnavailableError"
    end
  end
end
