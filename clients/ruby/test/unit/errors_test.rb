# frozen_string_literal: true

require "test_helper"
require "support/cases"
require "support/fake_service"

# Failed calls become typed errors built from the google.rpc.Status in the
# grpc-status-details-bin trailer, as the Python service sends them.
class ErrorsTest < Minitest::Test
  Codes = GRPC::Core::StatusCodes
  FAKE = FakeService.new
  Minitest.after_run { FAKE.stop }

  def setup
    FAKE.reset
    @client = Supportability::Client.new(target: FAKE.target, retries: false)
  end

  def teardown
    @client.close
  end

  def failing(error)
    FAKE.script(:predict_case, ->(_) { raise error })
    assert_raises(Supportability::Error) { @client.predict_case(support_case: Cases.payout, request_id: "rid-1") }
  end

  def test_invalid_case_carries_every_field_violation
    bad_request = Google::Rpc::BadRequest.new(field_violations: [
      { field: "support_case.account.disputes_30d", description: "must be >= 0" },
      { field: "support_case.subject", description: "subject or body is required" }
    ])
    error = failing(FakeService.rich_error(Codes::INVALID_ARGUMENT, "INVALID_CASE", "the case is invalid",
                                           request_id: "rid-1", extra: [bad_request]))
    assert_instance_of Supportability::InvalidRequestError, error
    assert_equal [Codes::INVALID_ARGUMENT, "INVALID_ARGUMENT", "INVALID_CASE", "supportability.dev", "rid-1"],
                 [error.code, error.code_name, error.reason, error.domain, error.request_id]
    assert_equal %w[support_case.account.disputes_30d support_case.subject], error.field_violations.map(&:field)
    assert_equal "must be >= 0", error.field_violations.first.description
    assert error.caller_fault?
    refute error.service_fault?
    assert_includes error.message, "support_case.account.disputes_30d: must be >= 0"
    assert_includes error.message, "rid-1"
    assert_kind_of Google::Rpc::Status, error.status
  end

  def test_the_message_names_each_violation_once_then_the_request_id
    required = Google::Rpc::BadRequest.new(field_violations: [{ field: "support_case.channel",
                                                                description: "required" }])
    error = failing(FakeService.rich_error(Codes::INVALID_ARGUMENT, "INVALID_CASE",
                                           "the support case is invalid: support_case.channel: required",
                                           request_id: "rid-1", extra: [required]))
    assert_equal "INVALID_ARGUMENT/INVALID_CASE: the support case is invalid: support_case.channel: required " \
                 "(request_id rid-1)", error.message, "the service's message already names the violation"

    two = Google::Rpc::BadRequest.new(field_violations: [
      { field: "support_case.subject", description: "a case needs a subject or a body; both are empty" },
      { field: "support_case.language", description: "not a BCP 47 language tag" }
    ])
    error = failing(FakeService.rich_error(Codes::INVALID_ARGUMENT, "INVALID_CASE", "the case is invalid",
                                           request_id: "rid-1", extra: [two]))
    assert_equal "INVALID_ARGUMENT/INVALID_CASE: the case is invalid: support_case.subject: a case needs a " \
                 "subject or a body; both are empty; support_case.language: not a BCP 47 language tag " \
                 "(request_id rid-1)", error.message
  end

  def test_unauthenticated
    error = failing(FakeService.rich_error(Codes::UNAUTHENTICATED, "UNAUTHENTICATED", "missing bearer token"))
    assert_instance_of Supportability::AuthenticationError, error
    assert_equal "UNAUTHENTICATED", error.reason
    assert error.caller_fault?
  end

  def test_overloaded_carries_the_retry_delay
    retry_info = Google::Rpc::RetryInfo.new(retry_delay: Google::Protobuf::Duration.new(seconds: 1, nanos: 250_000_000))
    error = failing(FakeService.rich_error(Codes::RESOURCE_EXHAUSTED, "OVERLOADED", "at capacity", extra: [retry_info]))
    assert_instance_of Supportability::OverloadedError, error
    assert_in_delta 1.25, error.retry_delay
    assert error.service_fault?
  end

  def test_unavailable
    error = failing(FakeService.rich_error(Codes::UNAVAILABLE, "MODEL_NOT_LOADED", "no model yet"))
    assert_instance_of Supportability::UnavailableError, error
    assert_equal "MODEL_NOT_LOADED", error.reason
    assert_equal "rid-from-server", error.request_id, "the service's request id wins"
  end

  def test_not_found
    FAKE.script(:get_model,
                ->(_) { raise FakeService.rich_error(Codes::NOT_FOUND, "MODEL_VERSION_NOT_FOUND", "no v9") })
    error = assert_raises(Supportability::NotFoundError) { @client.get_model(version: "v9") }
    assert_equal "MODEL_VERSION_NOT_FOUND", error.reason
    assert error.caller_fault?
  end

  def test_an_unknown_prediction_is_not_found_with_its_reason
    FAKE.script(:record_outcome,
                ->(_) { raise FakeService.rich_error(Codes::NOT_FOUND, "PREDICTION_NOT_FOUND", "no prediction p0") })
    error = assert_raises(Supportability::NotFoundError) do
      @client.record_outcome(outcome: { prediction_id: "p0", escalated: true })
    end
    assert_equal %w[NOT_FOUND PREDICTION_NOT_FOUND], [error.code_name, error.reason]
    assert error.caller_fault?
    FAKE.script(:get_prediction_record,
                ->(_) { raise FakeService.rich_error(Codes::NOT_FOUND, "PREDICTION_NOT_FOUND", "no case c0") })
    error = assert_raises(Supportability::NotFoundError) { @client.get_prediction_record(case_id: "c0") }
    assert_equal "PREDICTION_NOT_FOUND", error.reason
  end

  def test_a_conflicting_outcome_is_a_conflict_error_naming_the_field
    conflict = FakeService.rich_error(Codes::FAILED_PRECONDITION, "OUTCOME_CONFLICT",
                                      "resolved_queue of prediction p1 is already recorded as 'payouts'",
                                      request_id: "rid-c", metadata: { "field" => "resolved_queue",
                                                                       "prediction_id" => "p1" })
    FAKE.script(:record_outcome, ->(_) { raise conflict })
    error = assert_raises(Supportability::ConflictError) do
      @client.record_outcome(outcome: { prediction_id: "p1", resolved_queue: "disputes" })
    end
    assert_kind_of Supportability::ClientError, error
    assert error.caller_fault?
    refute error.service_fault?
    assert_equal %w[FAILED_PRECONDITION OUTCOME_CONFLICT resolved_queue rid-c],
                 [error.code_name, error.reason, error.field, error.request_id]
    assert_equal "p1", error.error_metadata["prediction_id"]
    assert_includes error.message, "already recorded"
    assert_equal 1, FAKE.calls_of(:record_outcome).size
  end

  def test_a_conflict_without_details_is_still_a_conflict_error
    FAKE.script(:batch_record_outcomes, ->(_) { raise GRPC::FailedPrecondition, "conflict" })
    error = assert_raises(Supportability::ConflictError) do
      @client.batch_record_outcomes(outcomes: [{ prediction_id: "p1", escalated: false }])
    end
    assert_nil error.field
    assert_nil error.reason
  end

  def test_an_invalid_outcome_in_a_batch_names_its_fields
    bad_request = Google::Rpc::BadRequest.new(field_violations: [
      { field: "outcomes[1].csat_score", description: "must be between 1 and 5" },
      { field: "outcomes[2].resolution_hours", description: "must be finite and not negative" }
    ])
    FAKE.script(:batch_record_outcomes, lambda { |_|
      raise FakeService.rich_error(Codes::INVALID_ARGUMENT, "INVALID_OUTCOME", "an outcome is invalid",
                                   extra: [bad_request])
    })
    error = assert_raises(Supportability::InvalidRequestError) do
      @client.batch_record_outcomes(outcomes: [{ prediction_id: "p1" }, { prediction_id: "p2", csat_score: 9 },
                                               { prediction_id: "p3", resolution_hours: -1.0 }])
    end
    assert_equal "INVALID_OUTCOME", error.reason
    assert_equal %w[outcomes[1].csat_score outcomes[2].resolution_hours], error.field_violations.map(&:field)
    assert error.caller_fault?
  end

  def test_an_unavailable_store_is_a_service_error
    FAKE.script(:record_outcome,
                ->(_) { raise FakeService.rich_error(Codes::UNAVAILABLE, "STORE_UNAVAILABLE", "database is locked") })
    error = assert_raises(Supportability::UnavailableError) do
      @client.record_outcome(outcome: { prediction_id: "p1", escalated: true })
    end
    assert_equal "STORE_UNAVAILABLE", error.reason
    assert error.service_fault?
    refute error.caller_fault?
  end

  def test_a_store_still_unavailable_after_the_retries_raises
    client = Supportability::Client.new(target: FAKE.target)
    unavailable = ->(_) { raise FakeService.rich_error(Codes::UNAVAILABLE, "STORE_UNAVAILABLE", "locked") }
    FAKE.script(:record_outcome, *[unavailable] * 4)
    error = assert_raises(Supportability::UnavailableError) do
      client.record_outcome(outcome: { prediction_id: "p1", escalated: true })
    end
    assert_equal "STORE_UNAVAILABLE", error.reason
    assert_equal 4, FAKE.calls_of(:record_outcome).size, "the service config's 4 attempts"
    assert_equal 1, FAKE.calls_of(:record_outcome).map { |c| c.request.request_id }.uniq.size
  ensure
    client&.close
  end

  def test_a_status_without_details_is_still_typed_by_its_code
    error = failing(GRPC::PermissionDenied.new("nope"))
    assert_instance_of Supportability::AuthenticationError, error
    assert_nil error.reason
    assert_equal "rid-1", error.request_id, "the call's own request id when the service gives none"
    assert_empty error.error_metadata
  end

  def test_unexpected_codes_are_service_errors
    error = failing(GRPC::Unknown.new("kaboom"))
    assert_instance_of Supportability::ServiceError, error
    assert_equal "UNKNOWN", error.code_name
  end

  def test_an_unreadable_details_trailer_still_gives_the_code
    error = failing(GRPC::BadStatus.new_status_exception(Codes::INVALID_ARGUMENT, "bad",
                                                         { "grpc-status-details-bin" => "\xFF\xFF not a status" }))
    assert_instance_of Supportability::InvalidRequestError, error
    assert_empty error.field_violations
  end

  def test_a_stream_cases_error_status_becomes_the_same_error
    status = Google::Rpc::Status.new(code: Codes::INVALID_ARGUMENT, message: "bad case", details: [
      Google::Protobuf::Any.pack(Google::Rpc::ErrorInfo.new(reason: "INVALID_CASE", domain: "supportability.dev")),
      Google::Protobuf::Any.pack(Google::Rpc::BadRequest.new(field_violations: [{ field: "support_case.body",
                                                                                  description: "too long" }]))
    ])
    response = Supportability::V1::StreamPredictCasesResponse.new(request_id: "s-1", error: status)
    error = response.to_error
    assert_instance_of Supportability::InvalidRequestError, error
    assert_equal ["INVALID_CASE", "s-1", ["support_case.body"]],
                 [error.reason, error.request_id, error.field_violations.map(&:field)]
    assert_nil Supportability::V1::StreamPredictCasesResponse.new(prediction: {}).to_error
  end

  def test_configuration_errors
    assert_raises(Supportability::ConfigurationError) { Supportability::Client.new(deadline: nil) }
    assert_raises(Supportability::ConfigurationError) { Supportability::Client.new(deadline: 0) }
    assert_raises(Supportability::ConfigurationError) { Supportability::Client.new(target: "") }
    assert_raises(Supportability::ConfigurationError) { Supportability::Client.new(tls_cert: "c.pem") }
    assert_raises(ArgumentError) { Supportability::Client.new(timeout: 3) }
  end
end
