# frozen_string_literal: true

require "test_helper"
require "support/cases"
require "support/fake_client"
require "socket"
require "stringio"

# The client against an in-process Ruby gRPC server whose replies each test scripts.
class ClientTest < Minitest::Test
  include FakeClient

  def test_predict_case_from_keywords_returns_the_response_with_readers
    response = @client.predict_case(support_case: Cases.payout)
    assert_instance_of Supportability::V1::PredictCaseResponse, response
    assert_equal "payouts", response.top_queue
    assert_in_delta 0.9, response.top_queue_probability
    assert response.auto_route?
    assert_equal :DECISION_ACTION_AUTO_ROUTE, response.decision.action
    assert_in_delta 0.2, response.prediction.escalation_probability
    assert_nil response.prediction.csat_risk_probability, "tasks the model doesn't serve are absent"

    sent = FAKE.calls_of(:predict_case).first.request
    assert_equal "case-payout", sent.support_case.case_id
    assert_equal Time.utc(2026, 11, 2, 9, 15).to_i, sent.support_case.create_time.seconds
  end

  def test_predict_case_from_a_message_keeps_its_request_id_and_leaves_it_unchanged
    request = Supportability::V1::PredictCaseRequest.new(support_case: { case_id: "c-9", subject: "Hi" },
                                                         request_id: "my-id")
    assert_equal "my-id", @client.predict_case(request).request_id

    anonymous = Supportability::V1::PredictCaseRequest.new(support_case: { case_id: "c-9", subject: "Hi" })
    first = @client.predict_case(anonymous).request_id
    second = @client.predict_case(anonymous).request_id
    assert_match UUID, first
    refute_equal first, second, "each call gets its own id"
    assert_empty anonymous.request_id
  end

  def test_predict_case_from_a_hash_with_extra_features_and_options
    @client.predict_case({ "support_case" => Cases.payout(extra_features: { "vip" => true, "tier" => "gold" }),
                           "options" => { "top_k" => 5 } })
    sent = FAKE.calls_of(:predict_case).last.request
    assert_equal 5, sent.options.top_k
    assert_equal true, sent.support_case.extra_features["vip"].bool_value
    assert_equal "gold", sent.support_case.extra_features["tier"].string_value
  end

  def test_a_hash_that_does_not_fit_the_contract_is_an_invalid_request_not_sent
    [{ channel: "CHANNEL_FAX" }, { colour: "red" }, { create_time: "yesterday" }].each do |bad|
      error = assert_raises(Supportability::InvalidRequestError) do
        @client.predict_case(support_case: Cases.payout(**bad))
      end
      assert error.caller_fault?
    end
    assert_empty FAKE.calls_of(:predict_case)
    assert_raises(ArgumentError) { @client.predict_case("not a request") }
  end

  def test_batch_predict_cases_keeps_the_order
    cases = %w[a b c].map { |id| Cases.payout(case_id: id) }
    response = @client.batch_predict_cases(support_cases: cases)
    assert_equal %w[a b c], response.predictions.map(&:case_id)
    assert_equal %w[payouts] * 3, response.predictions.map(&:top_queue)
    assert_match UUID, response.request_id
  end

  def test_stream_yields_responses_in_order_with_per_case_errors
    requests = [Cases.payout(case_id: "s1"), Cases.payout(case_id: "s2", subject: ""), Cases.payout(case_id: "s3")]
               .map { |c| { support_case: c } }
    responses = @client.stream_predict_cases(requests).to_a
    assert_equal 3, responses.size
    assert_equal(%w[s1 s3], responses.reject(&:error?).map { |r| r.prediction.case_id })
    error = responses[1].to_error
    assert_instance_of Supportability::InvalidRequestError, error
    assert_equal responses[1].request_id, error.request_id
    assert_match UUID, responses[1].request_id
    assert_equal(["stream_predict", "OK", 3], @events.last.then { |e, p| [e.to_s, p[:status], p[:count]] })
  end

  def test_stream_accepts_a_lazy_enumerator_and_a_block
    requests = Enumerator.new { |y| 4.times { |i| y << { support_case: Cases.payout(case_id: "e#{i}") } } }
    seen = []
    @client.stream_predict_cases(requests) { |response| seen << response.prediction.case_id }
    assert_equal %w[e0 e1 e2 e3], seen
  end

  def test_stopping_early_ends_an_endless_stream
    sent = 0
    endless = Enumerator.new { |y| (1..).each { |i| y << { support_case: Cases.payout(case_id: "n#{sent = i}") } } }
    seen = []
    @client.stream_predict_cases(endless, deadline: 5) do |response|
      seen << response.prediction.case_id
      break if seen.size == 3
    end
    assert_equal %w[n1 n2 n3], seen
    sleep 0.1
    sent_after_break = sent
    sleep 0.3
    assert_equal sent_after_break, sent, "the call is cancelled: nothing pulls more requests"
    assert_equal "payouts", @client.predict_case(support_case: Cases.payout).top_queue
  end

  def test_models
    assert_equal ["fake-1"], @client.list_models.models.map(&:version)
    assert_equal "v7", @client.get_model(version: "v7").model.version
    assert_equal "v8", @client.get_model(Supportability::V1::GetModelRequest.new(version: "v8")).model.version
  end

  def test_experiments
    assert_equal ["routing-ab"], @client.list_experiments.experiments.map(&:name)
    experiment = @client.get_experiment(name: "bandit-1").experiment
    assert_equal ["bandit-1", :EXPERIMENT_STATE_DRAFT], [experiment.name, experiment.state]
  end

  def test_token_and_extra_metadata_are_sent
    client = Supportability::Client.new(target: FAKE.target, token: "s3cret")
    client.predict_case(support_case: Cases.payout, metadata: { "x-tenant" => "acme" })
    metadata = FAKE.calls_of(:predict_case).last.metadata
    assert_equal "Bearer s3cret", metadata["authorization"]
    assert_equal "acme", metadata["x-tenant"]
  ensure
    client&.close
  end

  def test_no_authorization_without_a_token
    @client.list_models
    refute FAKE.calls_of(:list_models).last.metadata.key?("authorization")
  end

  def test_user_agent
    client = Supportability::Client.new(target: FAKE.target, user_agent: "shop/1.2")
    client.list_models
    assert_match %r{\Ashop/1\.2 supportability-ruby/#{Regexp.escape(Supportability::VERSION)} grpc},
                 FAKE.calls_of(:list_models).last.metadata["user-agent"]
  ensure
    client&.close
  end

  def test_the_deadline_bounds_a_slow_call
    FAKE.script(:predict_case, ->(_) { sleep 0.8 })
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    error = assert_raises(Supportability::DeadlineExceededError) do
      @client.predict_case(support_case: Cases.payout, deadline: 0.2)
    end
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 0.6
    assert error.service_fault?
    assert_match UUID, error.request_id
  end

  def test_every_call_has_the_configured_deadline
    client = Supportability::Client.new(target: FAKE.target, deadline: 0.3)
    FAKE.script(:get_model, ->(_) { sleep 0.8 })
    assert_raises(Supportability::DeadlineExceededError) { client.get_model(version: "slow") }
  ensure
    client&.close
  end

  def test_unavailable_is_retried_per_the_service_config
    unavailable = ->(_) { raise FakeService.rich_error(Codes::UNAVAILABLE, "MODEL_NOT_LOADED", "loading") }
    FAKE.script(:predict_case, unavailable, unavailable)
    assert_equal "payouts", @client.predict_case(support_case: Cases.payout).top_queue
    requests = FAKE.calls_of(:predict_case).map(&:request)
    assert_equal 3, requests.size
    assert_equal 1, requests.map(&:request_id).uniq.size, "retries reuse the request id"
  end

  def test_retries_can_be_turned_off
    client = Supportability::Client.new(target: FAKE.target, retries: false)
    FAKE.script(:predict_case, ->(_) { raise GRPC::Unavailable, "down" })
    assert_raises(Supportability::UnavailableError) { client.predict_case(support_case: Cases.payout) }
    assert_equal 1, FAKE.calls_of(:predict_case).size
  ensure
    client&.close
  end

  def test_other_failures_are_not_retried
    FAKE.script(:predict_case,
                ->(_) { raise FakeService.rich_error(Codes::RESOURCE_EXHAUSTED, "OVERLOADED", "busy") },
                ->(_) { raise GRPC::Internal, "boom" })
    assert_raises(Supportability::OverloadedError) { @client.predict_case(support_case: Cases.payout) }
    assert_raises(Supportability::ServiceError) { @client.predict_case(support_case: Cases.payout) }
    assert_equal 2, FAKE.calls_of(:predict_case).size
  end

  def test_instrumenter_sees_each_call
    @client.predict_case(support_case: Cases.payout, request_id: "rid-1")
    FAKE.script(:batch_predict_cases,
                ->(_) { raise FakeService.rich_error(Codes::INVALID_ARGUMENT, "INVALID_REQUEST", "empty") })
    assert_raises(Supportability::InvalidRequestError) { @client.batch_predict_cases(support_cases: []) }

    (ok_event, ok), (failed_event, failed) = @events
    assert_equal :predict, ok_event
    assert_equal "supportability.v1.PredictionService/PredictCase", ok[:rpc]
    assert_equal ["OK", "rid-1", FAKE.target], ok.values_at(:status, :request_id, :target)
    assert_operator ok[:duration_ms], :>, 0
    assert_equal :batch_predict, failed_event
    assert_equal "INVALID_ARGUMENT", failed[:status]
    assert_instance_of Supportability::InvalidRequestError, failed[:error]
  end

  def test_a_failing_instrumenter_does_not_fail_the_call
    log = StringIO.new
    client = Supportability::Client.new(target: FAKE.target, logger: Logger.new(log),
                                        instrumenter: ->(*) { raise "broken hook" })
    assert_equal "payouts", client.predict_case(support_case: Cases.payout).top_queue
    assert_includes log.string, "broken hook"
  ensure
    client&.close
  end

  def test_logger_gets_a_line_per_call
    log = StringIO.new
    client = Supportability::Client.new(target: FAKE.target, logger: Logger.new(log))
    client.predict_case(support_case: Cases.payout, request_id: "rid-log")
    assert_match(/supportability predict OK [\d.]+ms request_id=rid-log/, log.string)
  ensure
    client&.close
  end

  def test_many_threads_share_one_client
    client = Supportability::Client.new(target: FAKE.target)
    results = Array.new(8) do |t|
      Thread.new { Array.new(10) { |i| client.predict_case(support_case: Cases.payout(case_id: "t#{t}-#{i}")) } }
    end.flat_map(&:value)
    assert_equal 80, results.size
    assert_equal 80, results.map { |r| r.prediction.case_id }.uniq.size
    assert_equal 80, results.map(&:request_id).uniq.size
  ensure
    client&.close
  end

  def test_an_unreachable_service_raises_unavailable
    port = TCPServer.open("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    client = Supportability::Client.new(target: "127.0.0.1:#{port}", retries: false)
    error = assert_raises(Supportability::UnavailableError) { client.list_models }
    assert error.service_fault?
    refute error.caller_fault?
  ensure
    client&.close
  end

  def test_gem_does_not_load_active_support
    refute defined?(::ActiveSupport), "instrumentation must work without ActiveSupport"
  end
end
