# frozen_string_literal: true

require "test_helper"

# The controller action and the job, through the whole stack to the real service.
class TriageTest < ActionDispatch::IntegrationTest
  include SupportCases

  test "POST /triage answers with the routing decision and instruments the call" do
    events = []
    subscriber = ActiveSupport::Notifications.subscribe("predict.supportability") do |*args|
      events << ActiveSupport::Notifications::Event.new(*args)
    end
    post "/triage", params: { case: payout_case("web-1") }, as: :json

    assert_response :success
    body = response.parsed_body
    assert_equal "web-1", body["case_id"]
    assert body["queue"].present?
    assert_includes [true, false], body["auto_route"]
    assert body["probability"].between?(0, 1)
    assert_equal 1, events.size
    event = events.first
    assert_equal "OK", event.payload[:status]
    assert_equal body["request_id"], event.payload[:request_id]
    assert_equal "supportability.v1.PredictionService/PredictCase", event.payload[:rpc]
    assert_operator event.duration, :>, 0
  ensure
    ActiveSupport::Notifications.unsubscribe(subscriber)
  end

  test "an invalid case is a 422 naming the fields" do
    post "/triage", params: { case: payout_case("web-2").merge(subject: "", body: "", channel: "CHANNEL_PHONE") },
                    as: :json
    assert_response :unprocessable_entity
    body = response.parsed_body
    assert_equal "INVALID_CASE", body["reason"]
    assert_equal(["support_case.subject"], body["field_violations"].map { |v| v["field"] })
    assert body["request_id"].present?
  end

  test "a posted form's strings are read by the contract's field types" do
    form = payout_case("form-1").deep_merge(account: { disputes_30d: "2", monthly_volume_usd: "1520.75",
                                                       account_age_days: "" })
    post "/triage", params: { case: form } # form-encoded: every value arrives as a String
    assert_response :success
    assert_equal "form-1", response.parsed_body["case_id"]
  end

  test "a form value that can't be read is a 422 naming the field before any call" do
    post "/triage", params: { case: payout_case("form-2").deep_merge(account: { disputes_30d: "two" }) }
    assert_response :unprocessable_entity
    body = response.parsed_body
    assert_equal([{ "field" => "support_case.account.disputes_30d", "description" => 'must be an integer, got "two"' }],
                 body["field_violations"])
    assert_includes body["error"], 'support_case.account.disputes_30d: must be an integer, got "two"'
  end

  test "the job routes the case" do
    perform_enqueued_jobs do
      post "/triage/later", params: { case: payout_case("job-1") }, as: :json
      assert_response :accepted
    end

    decision = Rails.cache.read("triage/job-1")
    assert decision["queue"].present?
    assert decision["model_version"].present?
  end

  test "the service being down is a 503" do
    original = Supportability.configuration
    Supportability.configure do |config|
      config.target = "127.0.0.1:#{TCPServer.open('127.0.0.1', 0).then { |s| s.addr[1].tap { s.close } }}"
      config.retries = false
    end
    post "/triage", params: { case: payout_case("web-3") }, as: :json
    assert_response :service_unavailable
  ensure
    Supportability.configure do |config|
      config.target = original.target
      config.retries = original.retries
    end
  end
end
