# frozen_string_literal: true

module Supportability
  # The client of the Supportability service. Make one per process and share it between threads
  # (Supportability.client is such a default); creating it opens nothing.
  #
  #   client = Supportability::Client.new(target: "models.internal:443", tls: true, token: "...")
  #   response = client.predict_case(support_case: { subject: "Payout missing", body: "..." })
  #   response.top_queue      # => "payouts"
  #   response.auto_route?    # => true
  #
  # Keywords are the settings of Configuration; those not given come from
  # Supportability.configuration (see Supportability.configure).
  #
  # Every method takes the request as a message or a Hash shaped like one (or as keywords), plus
  # per-call options: `deadline:` (seconds, default the configured one) and `metadata:` (a Hash of
  # extra gRPC metadata). A request without a request_id gets a fresh UUID. Failures raise a
  # Supportability::Error subclass (see errors.rb).
  class Client
    # "<service>/<Method>" of each stub method,
    # e.g. :predict_case => "supportability.v1.PredictionService/PredictCase".
    RPC_NAMES = [V1::PredictionService::Service, V1::ModelService::Service, V1::OutcomeService::Service]
                .each_with_object({}) do |service, names|
      service.rpc_descs.each_key do |name|
        names[GRPC::GenericService.underscore(name.to_s).to_sym] = "#{service.service_name}/#{name}"
      end
    end.freeze

    attr_reader :config

    def initialize(config = Supportability.configuration, **settings)
      @config = config.with(**settings)
      @connection = Connection.new(@config)
      @instrumentation = Instrumentation.new(@config)
      @auth_metadata = (@config.token ? { "authorization" => "Bearer #{@config.token}" } : {}).freeze
    end

    # PredictCase. Returns a V1::PredictCaseResponse.
    def predict_case(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.build(V1::PredictCaseRequest, request, fields)
      unary(:predict, :prediction, :predict_case, request, request.request_id, deadline: deadline, metadata: metadata)
    end

    # BatchPredictCases: up to 1,000 cases. Returns a V1::BatchPredictCasesResponse whose
    # predictions are in the order of the cases.
    def batch_predict_cases(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.build(V1::BatchPredictCasesRequest, request, fields)
      unary(:batch_predict, :prediction, :batch_predict_cases, request, request.request_id,
            deadline: deadline, metadata: metadata)
    end

    # StreamPredictCases. `requests` is any Enumerable of V1::StreamPredictCasesRequest messages or
    # Hashes (consumed lazily, on a gRPC thread). Yields each V1::StreamPredictCasesResponse in order
    # or, without a block, returns an Enumerator of them. A case the service rejects doesn't end the
    # stream: its response has `error?` true and `to_error` gives the Supportability::Error.
    # The deadline bounds the whole stream (default: the configured stream_deadline).
    def stream_predict_cases(requests, deadline: nil, metadata: nil, &block)
      return enum_for(:stream_predict_cases, requests, deadline: deadline, metadata: metadata) unless block

      messages = requests.lazy.map { |r| Requests.build(V1::StreamPredictCasesRequest, r, {}) }
      @instrumentation.call(:stream_predict, rpc: RPC_NAMES.fetch(:stream_predict_cases), request_id: nil) do |payload|
        payload[:count] = 0
        call = @connection.stub(:prediction).stream_predict_cases(
          messages, deadline: deadline_at(deadline || @config.stream_deadline), metadata: call_metadata(metadata),
          return_op: true
        )
        finished = false
        with_errors(nil) do
          call.execute.each do |response|
            payload[:count] += 1
            yield response
          end
        end
        finished = true
        nil
      ensure
        call&.cancel unless finished # the caller stopped early (break, exception): end the call and its writer
      end
    end

    # ListModels. Returns a V1::ListModelsResponse.
    def list_models(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.message(V1::ListModelsRequest, request, fields)
      unary(:list_models, :model, :list_models, request, nil, deadline: deadline, metadata: metadata)
    end

    # GetModel, e.g. get_model(version: "20260101-abc"). Returns a V1::GetModelResponse.
    def get_model(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.message(V1::GetModelRequest, request, fields)
      unary(:get_model, :model, :get_model, request, nil, deadline: deadline, metadata: metadata)
    end

    # ListExperiments: the experiments comparing model versions on live traffic, as the server
    # assigns with them. Returns a V1::ListExperimentsResponse.
    def list_experiments(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.message(V1::ListExperimentsRequest, request, fields)
      unary(:list_experiments, :model, :list_experiments, request, nil, deadline: deadline, metadata: metadata)
    end

    # GetExperiment, e.g. get_experiment(name: "routing-ab"). Returns a V1::GetExperimentResponse;
    # an unknown name raises NotFoundError.
    def get_experiment(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.message(V1::GetExperimentRequest, request, fields)
      unary(:get_experiment, :model, :get_experiment, request, nil, deadline: deadline, metadata: metadata)
    end

    # RecordOutcome: what really happened to a predicted case, e.g.
    # record_outcome(outcome: { prediction_id: prediction.prediction_id, resolved_queue: "payouts", escalated: false }).
    # The outcome names its prediction by `prediction_id` or `case_id` (the latest prediction for
    # the case); fields left out (or nil) are left as they were. Sending the same outcome again
    # changes nothing and gets the same answer, so a retry (with the same request_id) is safe.
    # Returns a V1::RecordOutcomeResponse whose recorded_outcome merges every field recorded so far.
    # A different value for a recorded field raises ConflictError unless the outcome has
    # `correction: true`; an unknown prediction raises NotFoundError (reason PREDICTION_NOT_FOUND).
    def record_outcome(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.build(V1::RecordOutcomeRequest, request, fields)
      unary(:record_outcome, :outcome, :record_outcome, request, request.request_id,
            deadline: deadline, metadata: metadata)
    end

    # BatchRecordOutcomes: up to 1,000 outcomes in one transaction, all recorded or (when any is
    # invalid, unknown or in conflict; the error names it by index, e.g. "outcomes[3]") none.
    # Returns a V1::BatchRecordOutcomesResponse whose recorded_outcomes are in the order of the outcomes.
    def batch_record_outcomes(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.build(V1::BatchRecordOutcomesRequest, request, fields)
      unary(:batch_record_outcomes, :outcome, :batch_record_outcomes, request, request.request_id,
            deadline: deadline, metadata: metadata)
    end

    # GetPredictionRecord: a stored prediction joined with its outcome and the outcome's history,
    # by get_prediction_record(prediction_id: "...") or (the latest for the case) case_id: "...".
    # Returns a V1::GetPredictionRecordResponse; an unknown prediction raises NotFoundError.
    def get_prediction_record(request = nil, deadline: nil, metadata: nil, **fields)
      request = Requests.message(V1::GetPredictionRecordRequest, request, fields)
      unary(:get_prediction_record, :outcome, :get_prediction_record, request, nil,
            deadline: deadline, metadata: metadata)
    end

    # Closes this process's channel (a later call reopens it). Optional: for tests and shutdown.
    def close
      @connection.close
    end

    private

    def unary(event, service, method, request, request_id, deadline:, metadata:)
      @instrumentation.call(event, rpc: RPC_NAMES.fetch(method), request_id: request_id) do
        with_errors(request_id) do
          @connection.stub(service).public_send(method, request, deadline: deadline_at(deadline || @config.deadline),
                                                                 metadata: call_metadata(metadata))
        end
      end
    end

    def with_errors(request_id)
      yield
    rescue GRPC::BadStatus => e
      raise Error.from_grpc(e, request_id: request_id)
    end

    def deadline_at(seconds)
      Time.now + seconds
    end

    # A new Hash each call: gRPC and interceptors may add to it.
    def call_metadata(extra)
      extra ? @auth_metadata.merge(extra.transform_keys(&:to_s)) : @auth_metadata.dup
    end
  end
end
