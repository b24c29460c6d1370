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
