# frozen_string_literal: true

require "test_helper"
require "support/fake_client"

# Requests built from Hashes the way a Rails app has them: form params, where every value is a
# String, converted by the contract's field types; what doesn't fit is named field by field.
class HashMessageTest < Minitest::Test
  include FakeClient

  # What `params.require(:case).permit(...).to_h` gives for a posted form: String keys and values.
  FORM_CASE = {
    "case_id" => "c-form", "subject" => "Payout late", "body" => "", "channel" => "CHANNEL_CHAT",
    "create_time" => "2026-11-02T09:15:00Z",
    "account" => { "merchant_id" => "acct_7", "disputes_30d" => "2", "account_age_days" => "",
                   "monthly_volume_usd" => "1520.75", "support_plan" => "3" },
    "extra_features" => { "tier" => "gold" }
  }.freeze

  def test_form_strings_become_the_contract_types
    @client.predict_case("support_case" => FORM_CASE, "options" => { "top_k" => "5", "explain" => "true" })
    sent = FAKE.calls_of(:predict_case).last.request
    account = sent.support_case.account
    assert_equal [2, 1520.75, :SUPPORT_PLAN_ENTERPRISE, "acct_7"],
                 [account.disputes_30d, account.monthly_volume_usd, account.support_plan, account.merchant_id]
    assert_equal 0, account.account_age_days, "a blank number field is not given"
    assert_equal :CHANNEL_CHAT, sent.support_case.channel
    assert_equal Time.utc(2026, 11, 2, 9, 15).to_i, sent.support_case.create_time.seconds
    assert_equal "gold", sent.support_case.extra_features["tier"].string_value
    assert_equal [5, true], [sent.options.top_k, sent.options.explain]
  end

  def test_outcome_form_values_booleans_floats_and_repeated_fields
    @client.record_outcome(outcome: { "prediction_id" => "p1", "escalated" => "false", "decision_overridden" => "1",
                                      "resolution_hours" => "3.5", "csat_score" => "4",
                                      "final_urgency" => "URGENCY_HIGH", "resolved_queue" => "payouts",
                                      "helpful_article_ids" => { "1" => "kb-2", "0" => "kb-1" } })
    outcome = FAKE.calls_of(:record_outcome).last.request.outcome
    assert_equal [false, true, 3.5, 4, :URGENCY_HIGH], [outcome.escalated, outcome.decision_overridden,
                                                        outcome.resolution_hours, outcome.csat_score,
                                                        outcome.final_urgency]
    assert outcome.has_escalated?, "false was given, so it is sent"
    assert_equal %w[kb-1 kb-2], outcome.helpful_article_ids.to_a, "Rails' index Hash keeps the index order"

    @client.record_outcome(outcome: { prediction_id: "p2", escalated: "", helpful_article_ids: %w[kb-3] })
    outcome = FAKE.calls_of(:record_outcome).last.request.outcome
    refute outcome.has_escalated?, "a blank check box is not given"
    assert_equal %w[kb-3], outcome.helpful_article_ids.to_a
  end

  def test_repeated_messages_are_built_one_by_one
    cases = { "0" => FORM_CASE, "1" => FORM_CASE.merge("case_id" => "c-2", "account" => { "disputes_30d" => "7" }) }
    @client.batch_predict_cases(support_cases: cases)
    sent = FAKE.calls_of(:batch_predict_cases).last.request.support_cases
    assert_equal([%w[c-form 2], %w[c-2 7]], sent.map { |c| [c.case_id, c.account.disputes_30d.to_s] })
  end

  def test_values_that_do_not_fit_are_named_like_the_services_violations_and_not_sent
    bad = FORM_CASE.merge("channel" => "CHANNEL_FAX", "colour" => "red", "create_time" => "yesterday",
                          "account" => { "disputes_30d" => "two", "previous_cases_30d" => "3000000000",
                                         "monthly_volume_usd" => "lots" },
                          "extra_features" => { "seen" => Object.new })
    error = assert_raises(Supportability::InvalidRequestError) do
      @client.batch_predict_cases(support_cases: [FORM_CASE, bad], request_id: "rid-form")
    end
    assert_equal({
      "support_cases[1].channel" => 'unknown value "CHANNEL_FAX" (one of CHANNEL_EMAIL, CHANNEL_CHAT, ' \
                                    "CHANNEL_PHONE, CHANNEL_WEB_FORM, CHANNEL_API)",
      "support_cases[1].colour" => "unknown field of supportability.v1.SupportCase",
      "support_cases[1].create_time" => 'not a time: "yesterday" (a Time or an ISO 8601 String such as ' \
                                        "2026-11-02T09:15:00Z)",
      "support_cases[1].account.disputes_30d" => 'must be an integer, got "two"',
      "support_cases[1].account.previous_cases_30d" => "3000000000 is out of range for int32",
      "support_cases[1].account.monthly_volume_usd" => 'must be a number, got "lots"',
      'support_cases[1].extra_features["seen"]' => "Object is not a JSON value " \
                                                   "(String, number, true/false, nil, Array or Hash)"
    }, error.field_violations.to_h { |v| [v.field, v.description] })
    assert_equal "rid-form", error.request_id
    assert error.caller_fault?
    assert_match(/\ABatchPredictCasesRequest could not be built from the Hash: support_cases\[1\]\.channel: /,
                 error.message)
    assert_equal 1, error.message.scan("support_cases[1].account.disputes_30d").size
    assert error.message.end_with?(" (request_id rid-form)")
    assert_empty FAKE.calls_of(:batch_predict_cases)
  end

  def test_a_bad_value_without_a_request_id_and_wrong_shapes
    error = assert_raises(Supportability::InvalidRequestError) do
      @client.record_outcome(outcome: { prediction_id: "p1", escalated: "maybe", helpful_article_ids: "kb-1" })
    end
    assert_equal ['outcome.escalated: must be true or false, got "maybe"',
                  "outcome.helpful_article_ids: expected an Array, got String"], error.field_violations.map(&:to_s)
    assert_nil error.request_id
    error = assert_raises(Supportability::InvalidRequestError) { @client.predict_case(support_case: "Payout late") }
    assert_equal ["support_case: expected a Hash or a Supportability::V1::SupportCase, got String"],
                 error.field_violations.map(&:to_s)
    assert_empty FAKE.calls_of(:record_outcome) + FAKE.calls_of(:predict_case)
  end
end
