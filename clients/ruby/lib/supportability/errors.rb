# frozen_string_literal: true

require "grpc"
require "google/rpc/status_pb"
require "google/rpc/error_details_pb"
require "google/protobuf/well_known_types"

# The errors the gem raises, and which gRPC status codes become which.
module Supportability
  # Every error the gem raises. Errors from the service carry the gRPC status `code` (an Integer,
  # see GRPC::Core::StatusCodes), the `reason` from the service's ErrorInfo (e.g. "INVALID_CASE"),
  # and the `request_id` of the call. Rescue ClientError for the caller's faults (fix the request,
  # don't retry) and ServiceError for the service's (retry later, alert, degrade).
  class Error < StandardError
    attr_reader :code, :reason, :domain, :request_id, :error_metadata, :status

    # The message ends with the request id, when there is one.
    def initialize(message = nil, code: nil, reason: nil, domain: nil, request_id: nil,
                   error_metadata: {}, status: nil)
      super(message.nil? || request_id.to_s.empty? ? message : "#{message} (request_id #{request_id})")
      @code = code
      @reason = reason
      @domain = domain
      @request_id = request_id
      @error_metadata = error_metadata
      @status = status
    end

    # The status code's name, e.g. "INVALID_ARGUMENT"; nil for errors raised by the gem itself.
    def code_name
      code && StatusCodeNames.fetch(code, code.to_s)
    end

    def caller_fault?
      false
    end

    def service_fault?
      false
    end

    # Builds the error for a failed call from GRPC::BadStatus, reading the google.rpc.Status
    # that the service puts in the `grpc-status-details-bin` trailer.
    def self.from_grpc(bad_status, request_id: nil)
      status = begin
        bad_status.to_rpc_status
      rescue Google::Protobuf::ParseError
        nil # a proxy or a foreign server sent an unreadable trailer; the code is still right
      end
      build(bad_status.code, status&.message || bad_status.details, status, request_id)
    end

    # Builds the error a stream response reports for one case (its `error` field).
    def self.from_rpc_status(status, request_id: nil)
      build(status.code, status.message, status, request_id)
    end

    def self.build(code, message, status, request_id)
      details = Details.new(status)
      klass = ERROR_CLASSES.fetch(code, ServiceError)
      request_id = details.error_metadata.fetch("request_id", request_id)
      klass.new(describe(code, details.reason, message), code: code, status: status,
                request_id: request_id, **details.attributes_for(klass))
    end
    private_class_method :build

    def self.describe(code, reason, message)
      label = [StatusCodeNames.fetch(code, code.to_s), reason].compact.join("/")
      "#{label}: #{message}"
    end
    private_class_method :describe
  end

  # The caller's fault: fix the request or the credentials; retrying the same call won't help.
  class ClientError < Error
    def caller_fault?
      true
    end
  end

  # The service's fault: the same request may succeed later.
  class ServiceError < Error
    def service_fault?
      true
    end
  end

  # One invalid field, e.g. field "support_case.account.disputes_30d".
  FieldViolation = Struct.new(:field, :description) do
    def to_s
      "#{field}: #{description}"
    end
  end

  # The request failed validation (INVALID_ARGUMENT and kin). `field_violations` names every
  # offending field, e.g. "support_cases[3].subject". The message lists each violation once: the
  # service's message already names them, and a violation it doesn't name is added.
  class InvalidRequestError < ClientError
    attr_reader :field_violations

    def initialize(message = nil, field_violations: [], **attributes)
      unnamed = field_violations.map(&:to_s).reject { |violation| message.to_s.include?(violation) }
      super(unnamed.empty? ? message : [message, unnamed.join("; ")].compact.join(": "), **attributes)
      @field_violations = field_violations
    end
  end

  # The call carried no valid credentials, or they don't allow this call.
  class AuthenticationError < ClientError; end

  # The requested thing does not exist: a model version (reason MODEL_VERSION_NOT_FOUND), or the
  # prediction an outcome names by prediction_id or case_id (reason PREDICTION_NOT_FOUND).
  class NotFoundError < ClientError; end

  # The request contradicts what the service already holds (FAILED_PRECONDITION): an outcome gives
  # another value for a field already recorded (reason OUTCOME_CONFLICT), and nothing was changed.
  # `field` names the outcome field, e.g. "resolved_queue"; send the outcome again with
  # `correction: true` to replace the recorded value. Retrying it unchanged fails the same way.
  class ConflictError < ClientError
    # The outcome field in conflict, from the ErrorInfo's metadata; nil when the service named none.
    def field
      error_metadata["field"]
    end
  end

  # The service is unreachable or not ready. The client already retried per the service config.
  class UnavailableError < ServiceError; end

  # The service shed the call at its concurrency limit; wait `retry_delay` seconds (a Float, or
  # nil when the service gave none) before trying again.
  class OverloadedError < ServiceError
    attr_reader :retry_delay

    def initialize(message = nil, retry_delay: nil, **attributes)
      super(message, **attributes)
      @retry_delay = retry_delay
    end
  end

  # The deadline passed before the service answered.
  class DeadlineExceededError < ServiceError; end

  # The gem was configured in a way that cannot work; raised before any call is made.
  class ConfigurationError < Error; end

  # This process was forked from one that had already used gRPC, which Debian's grpc 1.51
  # cannot survive. See Supportability::ForkSafety.
  class ForkError < ConfigurationError; end

  codes = GRPC::Core::StatusCodes
  StatusCodeNames = codes.constants.to_h { |name| [codes.const_get(name), name.to_s] }.freeze

  ERROR_CLASSES = {
    codes::INVALID_ARGUMENT => InvalidRequestError,
    codes::FAILED_PRECONDITION => ConflictError,
    codes::OUT_OF_RANGE => InvalidRequestError,
    codes::UNAUTHENTICATED => AuthenticationError,
    codes::PERMISSION_DENIED => AuthenticationError,
    codes::NOT_FOUND => NotFoundError,
    codes::UNAVAILABLE => UnavailableError,
    codes::RESOURCE_EXHAUSTED => OverloadedError,
    codes::DEADLINE_EXCEEDED => DeadlineExceededError
  }.freeze

  class Error
    # The typed details packed in a google.rpc.Status (ErrorInfo, BadRequest, RetryInfo).
    class Details
      attr_reader :reason, :domain, :error_metadata, :field_violations, :retry_delay

      def initialize(status)
        @error_metadata = {}
        @field_violations = []
        (status&.details || []).each { |any| read(any) }
      end

      # The keyword arguments that `klass`'s constructor takes.
      def attributes_for(klass)
        attributes = { reason: reason, domain: domain, error_metadata: error_metadata }
        attributes[:field_violations] = field_violations if klass <= InvalidRequestError
        attributes[:retry_delay] = retry_delay if klass <= OverloadedError
        attributes
      end

      private

      def read(any)
        if (info = any.unpack(Google::Rpc::ErrorInfo))
          @reason = info.reason
          @domain = info.domain
          @error_metadata = info.metadata.to_h
        elsif (bad_request = any.unpack(Google::Rpc::BadRequest))
          @field_violations += bad_request.field_violations.map { |v| FieldViolation.new(v.field, v.description) }
        elsif (retry_info = any.unpack(Google::Rpc::RetryInfo))
          @retry_delay = retry_info.retry_delay&.to_f
        end
      end
    end
  end
end
