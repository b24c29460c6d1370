# frozen_string_literal: true

require "google/rpc/status_pb"
require "google/rpc/error_details_pb"

# Ruby's gRPC server sends a failed call's headers in one batch and its status in another, so the
# client sees a full response and commits it: gRPC never retries it. Python, C++ and Go servers send
# a failure before any message as a single Trailers-Only response, which gRPC may retry. The fake
# answers like them, so that the retry tests observe what happens against the real service.
module TrailersOnlyFailures
  # rubocop:disable Style/OptionalBooleanParameter -- GRPC::ActiveCall#send_status's signature
  def send_status(code = GRPC::Core::StatusCodes::OK, details = "", assert_finished = false, metadata: {})
    return super if code == GRPC::Core::StatusCodes::OK

    ops = { GRPC::Core::CallOps::SEND_STATUS_FROM_SERVER => Struct::Status.new(code, details, metadata) }
    @send_initial_md_mutex.synchronize do
      ops[GRPC::Core::CallOps::SEND_INITIAL_METADATA] = @metadata_to_send unless @metadata_sent
      @metadata_sent = true
    end
    ops[GRPC::Core::CallOps::RECV_CLOSE_ON_SERVER] = nil if assert_finished
    @call.run_batch(ops)
    set_output_stream_done
    nil
  end
  # rubocop:enable Style/OptionalBooleanParameter
end
GRPC::ActiveCall.prepend(TrailersOnlyFailures)

# An in-process gRPC server on 127.0.0.1:<free port> implementing the generated services, whose
# replies the tests script: each call takes the next scripted behaviour for its method (a lambda
# that returns the response or raises), or answers with a canned prediction when none is left.
class FakeService
  Call = Struct.new(:rpc, :request, :metadata)

  attr_reader :target

  def initialize
    @calls = []
    @mutex = Mutex.new
    @script = Hash.new { |h, k| h[k] = [] }
    @server = GRPC::RpcServer.new(pool_size: 16, max_waiting_requests: 100)
    port = @server.add_http2_port("127.0.0.1:0", :this_port_is_insecure)
    @target = "127.0.0.1:#{port}"
    @server.handle(Prediction.new(self))
    @server.handle(Models.new(self))
    @server.handle(Outcomes.new(self))
    @thread = Thread.new { @server.run }
    @server.wait_till_running(10) or raise "the fake gRPC server did not start"
  end

  def stop
    @server.stop
    @thread.join(10)
  end

  # Scripts the next calls of `method` (e.g. :predict_case).
  def script(method, *behaviours)
    @mutex.synchronize { @script[method].concat(behaviours) }
  end

  def reset
    @mutex.synchronize do
      @calls.clear
      @script.clear
    end
  end

  # The calls received so far of `method`.
  def calls_of(method)
    @mutex.synchronize { @calls.select { |c| c.rpc == method } }
  end

  def answer(method, request, call, default)
    behaviour = @mutex.synchronize do
      @calls << Call.new(method, request, call.metadata)
      @script[method].shift
    end
    behaviour ? behaviour.call(request) : default
  end

  def self.prediction(case_id, queue: "payouts")
    Supportability::V1::CasePrediction.new(
      case_id: case_id, model_version: "fake-1", prediction_id: "pred-#{case_id}",
      routing: { top_queues: [{ queue: queue, probability: 0.9 }, { queue: "disputes", probability: 0.07 }] },
      escalation: { probability: 0.2 },
      decision: { action: :DECISION_ACTION_AUTO_ROUTE, queue: queue, confidence: 0.9, threshold: 0.8 }
    )
  end

  # The outcome as the store would hold it after recording `outcome` alone: its target resolved to a
  # prediction_id ("pred-<case_id>" for a case id, as FakeService.prediction names them).
  def self.recorded(outcome)
    prediction_id = outcome.target == :case_id ? "pred-#{outcome.case_id}" : outcome.prediction_id
    stored = outcome.dup
    stored.prediction_id = prediction_id
    stored.correction = false
    Supportability::V1::RecordedOutcome.new(prediction_id: prediction_id, case_id: outcome.case_id,
                                            model_version: "fake-1", outcome: stored)
  end

  # A GRPC::BadStatus like the Python server's: a google.rpc.Status with an ErrorInfo (its metadata
  # the request id and `metadata`) and the given extra details, in the grpc-status-details-bin trailer.
  def self.rich_error(code, reason, message, request_id: "rid-from-server", metadata: {}, extra: [])
    info = Google::Rpc::ErrorInfo.new(reason: reason, domain: "supportability.dev",
                                      metadata: { "request_id" => request_id }.merge(metadata))
    status = Google::Rpc::Status.new(code: code, message: message,
                                     details: [info, *extra].map { |d| Google::Protobuf::Any.pack(d) })
    GRPC::BadStatus.new_status_exception(code, message,
                                         { "grpc-status-details-bin" => Google::Rpc::Status.encode(status) })
  end

  class Prediction < Supportability::V1::PredictionService::Service
    def initialize(fake)
      super()
      @fake = fake
    end

    def predict_case(request, call)
      @fake.answer(:predict_case, request, call, Supportability::V1::PredictCaseResponse.new(
        prediction: FakeService.prediction(request.support_case.case_id), request_id: request.request_id
      ))
    end

    def batch_predict_cases(request, call)
      @fake.answer(:batch_predict_cases, request, call, Supportability::V1::BatchPredictCasesResponse.new(
        predictions: request.support_cases.map { |c| FakeService.prediction(c.case_id) },
        request_id: request.request_id
      ))
    end

    # Echoes each case as a prediction; a case without a subject gets a per-case error.
    def stream_predict_cases(requests, call)
      @fake.answer(:stream_predict_cases, nil, call, nil)
      requests.lazy.map do |r|
        if r.support_case.subject.empty?
          status = Google::Rpc::Status.new(code: GRPC::Core::StatusCodes::INVALID_ARGUMENT, message: "no subject")
          Supportability::V1::StreamPredictCasesResponse.new(request_id: r.request_id, error: status)
        else
          Supportability::V1::StreamPredictCasesResponse.new(
            request_id: r.request_id, prediction: FakeService.prediction(r.support_case.case_id)
          )
        end
      end
    end
  end

  class Models < Supportability::V1::ModelService::Service
    def initialize(fake)
      super()
      @fake = fake
    end

    def list_models(request, call)
      @fake.answer(:list_models, request, call, Supportability::V1::ListModelsResponse.new(
        models: [{ name: "fake", version: "fake-1", state: :MODEL_STATE_PROMOTED }]
      ))
    end

    def get_model(request, call)
      @fake.answer(:get_model, request, call, Supportability::V1::GetModelResponse.new(
        model: { name: "fake", version: request.version, state: :MODEL_STATE_AVAILABLE }
      ))
    end

    def list_experiments(request, call)
      @fake.answer(:list_experiments, request, call, Supportability::V1::ListExperimentsResponse.new(
        experiments: [{ name: "routing-ab", state: :EXPERIMENT_STATE_RUNNING, mode: :EXPERIMENT_MODE_AB }]
      ))
    end

    def get_experiment(request, call)
      @fake.answer(:get_experiment, request, call, Supportability::V1::GetExperimentResponse.new(
        experiment: { name: request.name, state: :EXPERIMENT_STATE_DRAFT, mode: :EXPERIMENT_MODE_AB }
      ))
    end
  end

  class Outcomes < Supportability::V1::OutcomeService::Service
    def initialize(fake)
      super()
      @fake = fake
    end

    def record_outcome(request, call)
      @fake.answer(:record_outcome, request, call, Supportability::V1::RecordOutcomeResponse.new(
        recorded_outcome: FakeService.recorded(request.outcome), request_id: request.request_id
      ))
    end

    def batch_record_outcomes(request, call)
      @fake.answer(:batch_record_outcomes, request, call, Supportability::V1::BatchRecordOutcomesResponse.new(
        recorded_outcomes: request.outcomes.map { |o| FakeService.recorded(o) }, request_id: request.request_id
      ))
    end

    def get_prediction_record(request, call)
      case_id = request.target == :case_id ? request.case_id : "case-payout"
      prediction = FakeService.prediction(case_id)
      prediction.prediction_id = request.prediction_id unless request.target == :case_id
      @fake.answer(:get_prediction_record, request, call, Supportability::V1::GetPredictionRecordResponse.new(
        prediction_record: { prediction: prediction, predict_time: Google::Protobuf::Timestamp.new(seconds: 1) }
      ))
    end
  end
end
