# frozen_string_literal: true

require "test_helper"
require "securerandom"
require "support/cases"
require "support/shared_server"

# The outcome calls against the real Python service: predictions it made, outcomes recorded in its
# store, read back joined. Every test predicts cases of fresh case ids, so that runs sharing a store
# don't see each other's outcomes.
class OutcomeTest < Minitest::Test
  CLIENT = Supportability::Client.new(target: SharedServer.target, deadline: 10)

  def predict(case_id = new_case_id)
    CLIENT.predict_case(support_case: Cases.payout(case_id: case_id)).prediction
  end

  def new_case_id
    "outcome-#{SecureRandom.hex(6)}"
  end

  # A well-formed UUIDv7 that names no prediction.
  def unknown_prediction_id
    hex = SecureRandom.hex(16)
    "#{hex[0, 8]}-#{hex[8, 4]}-7#{hex[13, 3]}-8#{hex[17, 3]}-#{hex[20, 12]}"
  end

  def test_an_outcome_recorded_by_prediction_id_is_read_back_with_its_prediction
    prediction = predict
    refute_empty prediction.prediction_id
    outcome = { prediction_id: prediction.prediction_id, resolved_queue: prediction.top_queue, escalated: false,
                csat_score: 4, resolution_hours: 6.5 }
    first = CLIENT.record_outcome(outcome: outcome)
    recorded = first.recorded_outcome
    assert_equal [prediction.prediction_id, prediction.case_id, prediction.model_version],
                 [recorded.prediction_id, recorded.case_id, recorded.model_version]
    assert_equal [prediction.top_queue, false, 4, 6.5],
                 [recorded.outcome.resolved_queue, recorded.outcome.escalated, recorded.outcome.csat_score,
                  recorded.outcome.resolution_hours]
    assert recorded.outcome.has_escalated?, "false is recorded as a value"
    refute recorded.outside_label_set
    assert recorded.record_time

    again = CLIENT.record_outcome(outcome: outcome)
    assert_equal recorded, again.recorded_outcome, "the same outcome again changes nothing and gets the same answer"
    refute_equal first.request_id, again.request_id

    record = CLIENT.get_prediction_record(prediction_id: prediction.prediction_id).prediction_record
    assert_equal prediction, record.prediction, "the prediction as it was served"
    assert record.predict_time
    assert_equal recorded, record.recorded_outcome
    assert_equal [first.request_id], record.revisions.map(&:request_id), "the no-op is no revision"
  end

  def test_fields_sent_later_are_merged
    prediction = predict
    CLIENT.record_outcome(outcome: { prediction_id: prediction.prediction_id, escalated: true })
    merged = CLIENT.record_outcome(outcome: { prediction_id: prediction.prediction_id, csat_rating: :CSAT_RATING_BAD })
                   .recorded_outcome.outcome
    assert_equal [true, :CSAT_RATING_BAD], [merged.escalated, merged.csat_rating]
    refute merged.has_resolved_queue?
  end

  def test_a_different_value_is_a_conflict_unless_it_is_a_correction
    prediction = predict
    target = { prediction_id: prediction.prediction_id }
    CLIENT.record_outcome(outcome: target.merge(resolved_queue: "payouts"))
    request_id = SecureRandom.uuid
    error = assert_raises(Supportability::ConflictError) do
      CLIENT.record_outcome(outcome: target.merge(resolved_queue: "disputes"), request_id: request_id)
    end
    assert_equal %w[FAILED_PRECONDITION OUTCOME_CONFLICT resolved_queue],
                 [error.code_name, error.reason, error.field]
    assert_equal [request_id, "supportability.dev"], [error.request_id, error.domain]
    assert error.caller_fault?
    record = CLIENT.get_prediction_record(prediction_id: prediction.prediction_id).prediction_record
    assert_equal "payouts", record.recorded_outcome.outcome.resolved_queue, "nothing was overwritten"

    corrected = CLIENT.record_outcome(outcome: target.merge(resolved_queue: "disputes", correction: true))
    assert_equal "disputes", corrected.recorded_outcome.outcome.resolved_queue
    record = CLIENT.get_prediction_record(prediction_id: prediction.prediction_id).prediction_record
    assert_equal(%w[payouts disputes], record.revisions.map { |r| r.outcome.resolved_queue })
    assert_equal([false, true], record.revisions.map { |r| r.outcome.correction })
  end

  def test_an_unknown_prediction_is_not_found
    error = assert_raises(Supportability::NotFoundError) do
      CLIENT.record_outcome(outcome: { prediction_id: unknown_prediction_id, escalated: true })
    end
    assert_equal "PREDICTION_NOT_FOUND", error.reason
    assert error.caller_fault?
    error = assert_raises(Supportability::NotFoundError) do
      CLIENT.get_prediction_record(prediction_id: unknown_prediction_id)
    end
    assert_equal "PREDICTION_NOT_FOUND", error.reason
    error = assert_raises(Supportability::NotFoundError) { CLIENT.get_prediction_record(case_id: new_case_id) }
    assert_equal "PREDICTION_NOT_FOUND", error.reason
  end

  def test_by_case_id_the_outcome_goes_to_the_latest_prediction
    case_id = new_case_id
    predict(case_id)
    latest = predict(case_id)
    recorded = CLIENT.record_outcome(outcome: { case_id: case_id, resolution_hours: 12.0 }).recorded_outcome
    assert_equal [latest.prediction_id, case_id], [recorded.prediction_id, recorded.case_id]
    record = CLIENT.get_prediction_record(case_id: case_id).prediction_record
    assert_equal latest.prediction_id, record.prediction.prediction_id
    assert_in_delta 12.0, record.recorded_outcome.outcome.resolution_hours
  end

  def test_an_invalid_outcome_in_a_batch_is_named_by_its_index
    outcomes = [{ prediction_id: unknown_prediction_id, escalated: true },
                { prediction_id: unknown_prediction_id, csat_score: 9 }]
    error = assert_raises(Supportability::InvalidRequestError) { CLIENT.batch_record_outcomes(outcomes: outcomes) }
    assert_equal "INVALID_OUTCOME", error.reason
    assert_equal ["outcomes[1].csat_score"], error.field_violations.map(&:field)
  end

  # A conflict is found in the store's transaction (after the prediction log, which is written
  # before the outcomes: a read straight after a prediction could miss it).
  def test_batch_record_outcomes_records_all_or_nothing
    predictions = Array.new(3) { predict }
    ids = predictions.map(&:prediction_id)
    CLIENT.record_outcome(outcome: { prediction_id: ids[1], resolved_queue: "payouts" })
    outcomes = [{ prediction_id: ids[0], escalated: true }, { prediction_id: ids[1], resolved_queue: "disputes" },
                { prediction_id: ids[2], escalated: false }]
    error = assert_raises(Supportability::ConflictError) { CLIENT.batch_record_outcomes(outcomes: outcomes) }
    assert_includes error.message, "outcomes[1]"
    assert_equal "resolved_queue", error.field
    refute CLIENT.get_prediction_record(prediction_id: ids[0]).prediction_record.has_recorded_outcome?,
           "none was recorded"

    outcomes[1][:resolved_queue] = "payouts"
    response = CLIENT.batch_record_outcomes(outcomes: outcomes)
    assert_equal ids, response.recorded_outcomes.map(&:prediction_id)
    escalated = response.recorded_outcomes.map { |r| r.outcome.has_escalated? ? r.outcome.escalated : nil }
    assert_equal [true, nil, false], escalated
  end
end
