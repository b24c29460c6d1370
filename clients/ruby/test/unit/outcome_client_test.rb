# frozen_string_literal: true

require "test_helper"
require "support/fake_client"

# The outcome calls (RecordOutcome, BatchRecordOutcomes, GetPredictionRecord) against the
# in-process fake service. Their errors are in errors_test.rb.
class OutcomeClientTest < Minitest::Test
  include FakeClient

  def test_record_outcome_from_a_hash_sends_the_given_fields_only
    response = @client.record_outcome(outcome: {
      prediction_id: "pred-1", resolved_queue: "payouts", escalated: false, final_urgency: "URGENCY_HIGH",
      csat_score: 4, resolution_hours: 3.5, helpful_article_ids: %w[kb-1 kb-2], decision_overridden: nil,
      occur_time: Time.utc(2026, 11, 3, 10)
    })
    assert_instance_of Supportability::V1::RecordOutcomeResponse, response
    assert_equal "pred-1", response.recorded_outcome.prediction_id
    assert_equal "payouts", response.recorded_outcome.outcome.resolved_queue
    assert_match UUID, response.request_id

    sent = FAKE.calls_of(:record_outcome).first.request
    outcome = sent.outcome
    assert_equal [:prediction_id, "pred-1"], [outcome.target, outcome.prediction_id]
    assert outcome.has_escalated?, "false is a value, sent as given"
    assert_equal false, outcome.escalated
    refute outcome.has_decision_overridden?, "nil means not given"
    assert_equal [:URGENCY_HIGH, 4, 3.5, %w[kb-1 kb-2]],
                 [outcome.final_urgency, outcome.csat_score, outcome.resolution_hours, outcome.helpful_article_ids.to_a]
    assert_equal Time.utc(2026, 11, 3, 10).to_i, outcome.occur_time.seconds
    assert_equal response.request_id, sent.request_id
  end

  def test_record_outcome_by_case_id_with_string_keys_and_an_iso_time
    @client.record_outcome({ "outcome" => { "case_id" => "case-7", "csat_rating" => "CSAT_RATING_BAD",
                                            "occur_time" => "2026-11-03T10:00:00Z", "correction" => true } })
    outcome = FAKE.calls_of(:record_outcome).last.request.outcome
    assert_equal [:case_id, "case-7", :CSAT_RATING_BAD, true],
                 [outcome.target, outcome.case_id, outcome.csat_rating, outcome.correction]
    assert_equal Time.utc(2026, 11, 3, 10).to_i, outcome.occur_time.seconds
  end

  def test_record_outcome_from_a_message_keeps_its_request_id_and_leaves_it_unchanged
    outcome = Supportability::V1::Outcome.new(prediction_id: "pred-2", escalated: true)
    assert_equal "my-id", @client.record_outcome(outcome: outcome, request_id: "my-id").request_id

    request = Supportability::V1::RecordOutcomeRequest.new(outcome: outcome)
    first = @client.record_outcome(request).request_id
    second = @client.record_outcome(request).request_id
    assert_match UUID, first
    refute_equal first, second, "each call gets its own id"
    assert_empty request.request_id
    assert_equal([true] * 3, FAKE.calls_of(:record_outcome).map { |c| c.request.outcome.escalated })
  end

  def test_an_outcome_naming_two_targets_is_an_invalid_request_not_sent
    [{ prediction_id: "pred-1", case_id: "case-1" }, { prediction_id: "pred-1", colour: "red" },
     { prediction_id: "pred-1", occur_time: "yesterday" }, { prediction_id: "pred-1", final_urgency: "URGENT" }]
      .each do |bad|
      error = assert_raises(Supportability::InvalidRequestError) { @client.record_outcome(outcome: bad) }
      assert error.caller_fault?
    end
    error = assert_raises(Supportability::InvalidRequestError) do
      @client.batch_record_outcomes(outcomes: [{ prediction_id: "a" }, { prediction_id: "b", case_id: "c" }])
    end
    assert_includes error.message, "prediction_id, case_id"
    assert_raises(Supportability::InvalidRequestError) do
      @client.get_prediction_record(prediction_id: "pred-1", case_id: "case-1")
    end
    assert_empty FAKE.calls_of(:record_outcome) + FAKE.calls_of(:batch_record_outcomes) +
                 FAKE.calls_of(:get_prediction_record)
    assert_raises(ArgumentError) { @client.record_outcome("not a request") }
  end

  def test_a_store_unavailable_write_is_retried_with_the_same_request_id
    unavailable = ->(_) { raise FakeService.rich_error(Codes::UNAVAILABLE, "STORE_UNAVAILABLE", "locked") }
    FAKE.script(:record_outcome, unavailable, unavailable)
    response = @client.record_outcome(outcome: { prediction_id: "pred-1", escalated: true })
    assert_equal "pred-1", response.recorded_outcome.prediction_id
    requests = FAKE.calls_of(:record_outcome).map(&:request)
    assert_equal 3, requests.size
    assert_equal [response.request_id], requests.map(&:request_id).uniq, "retries reuse the request id"
  end

  def test_batch_record_outcomes_keeps_the_order
    outcomes = [{ prediction_id: "p1", escalated: true }, { case_id: "c2", resolved_queue: "disputes" },
                Supportability::V1::Outcome.new(prediction_id: "p3", csat_score: 5)]
    response = @client.batch_record_outcomes(outcomes: outcomes)
    assert_instance_of Supportability::V1::BatchRecordOutcomesResponse, response
    assert_equal %w[p1 pred-c2 p3], response.recorded_outcomes.map(&:prediction_id)
    assert_match UUID, response.request_id
    sent = FAKE.calls_of(:batch_record_outcomes).first.request
    assert_equal %i[prediction_id case_id prediction_id], sent.outcomes.map(&:target)
    assert_equal response.request_id, sent.request_id
  end

  def test_get_prediction_record_by_prediction_id_or_case_id
    record = @client.get_prediction_record(prediction_id: "pred-9").prediction_record
    assert_equal "pred-9", record.prediction.prediction_id
    assert_equal "payouts", record.prediction.top_queue

    record = @client.get_prediction_record(case_id: "case-9", prediction_id: nil).prediction_record
    assert_equal "pred-case-9", record.prediction.prediction_id
    request = Supportability::V1::GetPredictionRecordRequest.new(case_id: "case-10")
    assert_equal "case-10", @client.get_prediction_record(request).prediction_record.prediction.case_id
    assert_equal(%i[prediction_id case_id case_id], FAKE.calls_of(:get_prediction_record).map { |c| c.request.target })
  end

  def test_instrumenter_sees_each_outcome_call
    @client.record_outcome(outcome: { prediction_id: "p1", escalated: true }, request_id: "rid-1")
    @client.batch_record_outcomes(outcomes: [{ prediction_id: "p1" }], request_id: "rid-2")
    FAKE.script(:get_prediction_record,
                ->(_) { raise FakeService.rich_error(Codes::NOT_FOUND, "PREDICTION_NOT_FOUND", "no p0") })
    assert_raises(Supportability::NotFoundError) { @client.get_prediction_record(prediction_id: "p0") }

    seen = @events.map { |event, payload| [event, *payload.values_at(:rpc, :request_id, :status)] }
    assert_equal [
      [:record_outcome, "supportability.v1.OutcomeService/RecordOutcome", "rid-1", "OK"],
      [:batch_record_outcomes, "supportability.v1.OutcomeService/BatchRecordOutcomes", "rid-2", "OK"],
      [:get_prediction_record, "supportability.v1.OutcomeService/GetPredictionRecord", nil, "NOT_FOUND"]
    ], seen
    assert(@events.all? { |_, payload| payload[:target] == FAKE.target && payload[:duration_ms].positive? })
    assert_instance_of Supportability::NotFoundError, @events.last.last[:error]
  end

  def test_outcome_calls_send_the_token_and_metadata_and_have_a_deadline
    client = Supportability::Client.new(target: FAKE.target, token: "s3cret", deadline: 0.3)
    client.record_outcome(outcome: { prediction_id: "p1" }, metadata: { "x-tenant" => "acme" })
    metadata = FAKE.calls_of(:record_outcome).last.metadata
    assert_equal ["Bearer s3cret", "acme"], metadata.values_at("authorization", "x-tenant")

    FAKE.script(:get_prediction_record, ->(_) { sleep 0.8 })
    assert_raises(Supportability::DeadlineExceededError) { client.get_prediction_record(prediction_id: "slow") }
    FAKE.script(:batch_record_outcomes, ->(_) { sleep 0.8 })
    error = assert_raises(Supportability::DeadlineExceededError) do
      client.batch_record_outcomes(outcomes: [{ prediction_id: "p1" }], deadline: 0.1, request_id: "rid-slow")
    end
    assert_equal "rid-slow", error.request_id
  ensure
    client&.close
  end

  def test_predict_case_response_reads_the_prediction_id
    assert_equal "pred-case-1", @client.predict_case(support_case: { case_id: "case-1", subject: "Hi" }).prediction_id
  end
end
