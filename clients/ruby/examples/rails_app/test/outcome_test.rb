# frozen_string_literal: true

require "test_helper"
require "securerandom"

# Closing a case: POST /triage/:case_id/close enqueues RecordOutcomeJob, which records the outcome in
# the real service; the test reads it back with get_prediction_record.
class OutcomeTest < ActionDispatch::IntegrationTest
  include SupportCases

  test "closing a case records its outcome against the prediction the triage answer named" do
    case_id, triage = triage_new_case
    events = []
    subscriber = ActiveSupport::Notifications.subscribe("record_outcome.supportability") do |*args|
      events << ActiveSupport::Notifications::Event.new(*args)
    end
    perform_enqueued_jobs do
      post "/triage/#{case_id}/close", as: :json, params: {
        outcome: { prediction_id: triage["prediction_id"], resolved_queue: triage["queue"], escalated: false,
                   csat_score: 5, resolution_hours: 2.5 }
      }
      assert_response :accepted
    end
    job_id = response.parsed_body["job_id"]

    record = Supportability.client.get_prediction_record(prediction_id: triage["prediction_id"]).prediction_record
    assert_equal [triage["prediction_id"], case_id], [record.prediction.prediction_id, record.prediction.case_id]
    outcome = record.recorded_outcome.outcome
    assert_equal [triage["queue"], false, 5, 2.5],
                 [outcome.resolved_queue, outcome.escalated, outcome.csat_score, outcome.resolution_hours]
    assert outcome.occur_time, "the time the agent closed the case"
    assert_equal [job_id], record.revisions.map(&:request_id), "the job's id is the write's request id"
    assert_equal([["OK", job_id]], events.map { |e| e.payload.values_at(:status, :request_id) })
  ensure
    ActiveSupport::Notifications.unsubscribe(subscriber) if subscriber
  end

  test "without a prediction_id the outcome goes to the case's latest prediction" do
    case_id, triage = triage_new_case
    latest = triage.fetch("prediction_id")

    perform_enqueued_jobs do
      post "/triage/#{case_id}/close", params: { outcome: { escalated: true } }, as: :json
    end

    record = Supportability.client.get_prediction_record(case_id: case_id).prediction_record
    assert_equal latest, record.prediction.prediction_id
    assert_equal true, record.recorded_outcome.outcome.escalated
  end

  test "while the service is down the job is retried later, then records under the same request id" do
    prediction_id = triage_new_case.last.fetch("prediction_id")

    job = RecordOutcomeJob.new({ "prediction_id" => prediction_id, "resolved_queue" => "payouts" })
    with_service_down { job.perform_now }
    retry_entry = enqueued_jobs.find { |j| j[:job] == RecordOutcomeJob }
    assert retry_entry, "retried, not failed or discarded"
    assert_equal job.job_id, retry_entry["job_id"]
    assert_operator retry_entry[:at], :>=, Time.now.to_f + 2, "after a backoff"

    perform_enqueued_jobs
    record = Supportability.client.get_prediction_record(prediction_id: prediction_id).prediction_record
    assert_equal "payouts", record.recorded_outcome.outcome.resolved_queue
    assert_equal [job.job_id], record.revisions.map(&:request_id)
  end

  # Each perform_enqueued_jobs (without a block, which would wrap the final error) runs one attempt.
  test "while the service stays down the job backs off longer each time and gives up after 5 attempts" do
    attempts = 0
    subscriber = ActiveSupport::Notifications.subscribe("record_outcome.supportability") { attempts += 1 }
    waits = []
    with_service_down do
      RecordOutcomeJob.perform_later({ "case_id" => "down-1", "escalated" => true })
      4.times do
        perform_enqueued_jobs
        assert_equal 1, enqueued_jobs.size, "re-enqueued"
        waits << (enqueued_jobs.first[:at] - Time.now.to_f)
      end
      assert_raises(Supportability::UnavailableError) { perform_enqueued_jobs }
    end
    assert_equal 5, attempts
    assert_empty enqueued_jobs, "given up"
    assert_equal waits.sort, waits
    assert_operator waits.first, :>=, 2
  ensure
    ActiveSupport::Notifications.unsubscribe(subscriber) if subscriber
  end

  test "an outcome for an unknown prediction is discarded, not retried" do
    perform_enqueued_jobs do
      RecordOutcomeJob.perform_later({ "case_id" => "never-predicted-#{SecureRandom.hex(4)}", "escalated" => true })
    end
    assert_empty enqueued_jobs
    assert_equal 1, performed_jobs.size
  end

  private

  # POST /triage for a case of a new case_id: [the case_id, the answer].
  def triage_new_case
    case_id = "close-#{SecureRandom.hex(4)}"
    post "/triage", params: { case: payout_case(case_id) }, as: :json
    assert_response :success
    answer = response.parsed_body
    assert answer["prediction_id"].present?, answer
    [case_id, answer]
  end

  # Runs the block with the default client pointed at a port nothing listens on, without gRPC's retries.
  def with_service_down
    original = Supportability.configuration
    Supportability.configure do |config|
      config.target = "127.0.0.1:#{TCPServer.open('127.0.0.1', 0).then { |s| s.addr[1].tap { s.close } }}"
      config.retries = false
    end
    yield
  ensure
    Supportability.configure do |config|
      config.target = original.target
      config.retries = original.retries
    end
  end
end
