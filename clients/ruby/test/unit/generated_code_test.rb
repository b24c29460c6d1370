# frozen_string_literal: true

require "test_helper"
require "support/repo"

# The checked-in generated code must load under the installed google-protobuf (Debian's 3.21) and,
# to keep loading under 4.x, be in the serialized-descriptor form rather than the builder DSL.
class GeneratedCodeTest < Minitest::Test
  GENERATED = Dir[File.expand_path("../../lib/supportability/v1/*_pb.rb", __dir__)].freeze

  def test_every_message_file_is_a_serialized_descriptor
    messages = GENERATED.grep_v(/_services_pb\.rb\z/)
    assert_equal 7, messages.size
    messages.each do |path|
      source = File.read(path)
      assert_includes source, "add_serialized_file", path
      refute_match(/add_message|build do/, source, path)
    end
  end

  def test_it_loads_under_the_installed_google_protobuf
    assert_operator Gem.loaded_specs.fetch("google-protobuf").version, :>=, Gem::Version.new("3.21.12")
    pool = Google::Protobuf::DescriptorPool.generated_pool
    %w[SupportCase CasePrediction PredictCaseRequest StreamPredictCasesResponse Model Outcome
       RecordOutcomeRequest PredictionRecord].each do |name|
      assert pool.lookup("supportability.v1.#{name}"), name
    end
    assert_equal :ERROR_REASON_OVERLOADED, Supportability::V1::ErrorReason.lookup(5)
    assert_equal :ERROR_REASON_OUTCOME_CONFLICT, Supportability::V1::ErrorReason.lookup(10)
  end

  def test_messages_round_trip_through_binary_and_json
    request = Supportability::V1::PredictCaseRequest.new(
      request_id: "r-1",
      support_case: { case_id: "c-1", subject: "Payout", channel: :CHANNEL_CHAT,
                      extra_features: { "vip" => Google::Protobuf::Value.new(bool_value: true) } }
    )
    decoded = Supportability::V1::PredictCaseRequest.decode(Supportability::V1::PredictCaseRequest.encode(request))
    assert_equal request, decoded
    json = Supportability::V1::PredictCaseRequest.encode_json(request)
    assert_includes json, '"supportCase"'
    assert_equal request, Supportability::V1::PredictCaseRequest.decode_json(json)
  end

  def test_service_stubs_cover_the_contract
    rpcs = Supportability::V1::PredictionService::Service.rpc_descs.keys
    assert_equal %i[PredictCase BatchPredictCases StreamPredictCases], rpcs
    assert_equal %i[ListModels GetModel ListExperiments GetExperiment],
                 Supportability::V1::ModelService::Service.rpc_descs.keys
    assert_equal %i[RecordOutcome BatchRecordOutcomes GetPredictionRecord],
                 Supportability::V1::OutcomeService::Service.rpc_descs.keys
  end

  # The gem ships a copy of the contract's service config beside the generated code; it must not
  # drift from proto/ (tools/generate.py copies it).
  def test_shipped_service_config_matches_the_contract
    contract = Repo.root / "proto/supportability/v1/supportability_grpc_service_config.json"
    assert_equal contract.read, File.read(Supportability::Configuration::SERVICE_CONFIG_PATH)
  end
end
