# frozen_string_literal: true

require "test_helper"
require "support/cases"
require "support/shared_server"

# The client against the real Python service and its trained model.
class ServiceTest < Minitest::Test
  CLIENT = Supportability::Client.new(target: SharedServer.target, deadline: 10)

  def test_predict_case
    response = CLIENT.predict_case(support_case: Cases.payout, request_id: "00000000-0000-4000-8000-00000000abcd")
    prediction = response.prediction
    assert_equal "00000000-0000-4000-8000-00000000abcd", response.request_id
    assert_equal "case-payout", prediction.case_id
    refute_empty prediction.model_version
    queues = prediction.routing.top_queues
    assert_equal 3, queues.size
    assert_equal queues.map(&:probability).sort.reverse, queues.map(&:probability)
    assert(queues.all? { |q| q.probability.between?(0, 1) })
    assert_equal queues.first.queue, response.top_queue
    assert_includes %i[DECISION_ACTION_AUTO_ROUTE DECISION_ACTION_HUMAN_TRIAGE], response.decision.action
    assert_equal response.decision.confidence >= response.decision.threshold, response.auto_route?
    # A reason exactly when the case goes to a person: low confidence or out of scope.
    assert_equal response.auto_route?, response.decision.reason == :DECISION_REASON_UNSPECIFIED
    assert response.prediction.escalation_probability.between?(0, 1)
  end

  def test_predict_case_with_options_and_a_generated_request_id
    response = CLIENT.predict_case(support_case: Cases.payout, options: { top_k: 5, explain: true })
    assert_match(/\A\h{8}-/, response.request_id)
    assert_equal 5, response.prediction.routing.top_queues.size
    refute_empty response.prediction.explanations
  end

  def test_batch_predict_cases
    cases = [Cases.payout(case_id: "b1"),
             Cases.payout(case_id: "b2", subject: "Chargeback evidence", body: "How do I answer a dispute?"),
             Cases.payout(case_id: "b3", channel: :CHANNEL_CHAT)]
    response = CLIENT.batch_predict_cases(support_cases: cases)
    assert_equal %w[b1 b2 b3], response.predictions.map(&:case_id)
    assert(response.predictions.all?(&:top_queue))
    single = CLIENT.predict_case(support_case: cases[1]).prediction
    assert_in_delta single.top_queue_probability, response.predictions[1].top_queue_probability, 1e-9
  end

  def test_stream_predict_cases
    requests = Array.new(20) { |i| { support_case: Cases.payout(case_id: "s#{i}") } }
    requests[7] = { support_case: Cases.payout(case_id: "s7", subject: "", body: "") }
    responses = CLIENT.stream_predict_cases(requests).to_a
    assert_equal 20, responses.size
    assert_equal([7], responses.each_index.select { |i| responses[i].error? })
    error = responses[7].to_error
    assert_instance_of Supportability::InvalidRequestError, error
    assert_includes error.field_violations.map(&:field), "support_case.subject"
    assert_equal((0..19).map { |i| "s#{i}" } - ["s7"], responses.reject(&:error?).map { |r| r.prediction.case_id })
  end

  def test_an_invalid_case_raises_with_every_field_violation
    bad = Cases.payout(subject: "", body: "", account: { disputes_30d: -1, failed_payouts_30d: -2 })
    error = assert_raises(Supportability::InvalidRequestError) do
      CLIENT.predict_case(support_case: bad, request_id: "rid-invalid")
    end
    assert_equal "INVALID_CASE", error.reason
    assert_equal "supportability.dev", error.domain
    assert_equal "rid-invalid", error.request_id
    assert error.caller_fault?
    assert_equal %w[support_case.account.disputes_30d support_case.account.failed_payouts_30d support_case.subject],
                 error.field_violations.map(&:field).sort
    error.field_violations.each { |v| assert_equal 1, error.message.scan(v.to_s).size, "#{v} once: #{error.message}" }
    assert error.message.end_with?(" (request_id rid-invalid)"), error.message
  end

  def test_an_invalid_case_in_a_batch_is_named_by_its_index
    invalid = Cases.payout(account: Cases.payout[:account].merge(disputes_30d: -1))
    cases = [Cases.payout, Cases.payout, invalid]
    error = assert_raises(Supportability::InvalidRequestError) { CLIENT.batch_predict_cases(support_cases: cases) }
    assert_equal ["support_cases[2].account.disputes_30d"], error.field_violations.map(&:field)
  end

  def test_models
    models = CLIENT.list_models.models
    refute_empty models
    promoted = models.find { |m| m.state == :MODEL_STATE_PROMOTED }
    assert promoted
    assert_equal :MODEL_KIND_LINEAR, promoted.kind # the default model of make run
    assert_equal promoted.version, CLIENT.get_model(version: promoted.version).model.version
    assert_equal promoted.version, CLIENT.predict_case(support_case: Cases.payout).prediction.model_version
  end

  def test_an_unknown_model_version
    error = assert_raises(Supportability::NotFoundError) { CLIENT.get_model(version: "no-such-version") }
    assert_equal "MODEL_VERSION_NOT_FOUND", error.reason
    error = assert_raises(Supportability::InvalidRequestError) do
      CLIENT.predict_case(support_case: Cases.payout, model_version: "no-such-version")
    end
    assert_equal "MODEL_VERSION_NOT_FOUND", error.reason
  end

  def test_a_tight_deadline
    assert_raises(Supportability::DeadlineExceededError) do
      CLIENT.batch_predict_cases(support_cases: Array.new(200) { Cases.payout }, deadline: 0.001)
    end
  end
end
