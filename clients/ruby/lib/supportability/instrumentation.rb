# frozen_string_literal: true

module Supportability
  # Reports each call three ways, all optional: to the configured `instrumenter` callable, as an
  # ActiveSupport::Notifications event "<event>.supportability" when ActiveSupport is loaded, and
  # as a log line.
  #
  # Events: predict, batch_predict, stream_predict, list_models, get_model, list_experiments,
  # get_experiment, record_outcome, batch_record_outcomes, get_prediction_record. The payload:
  #
  #   rpc:         "supportability.v1.PredictionService/PredictCase"
  #   request_id:  the call's request id (nil for the model service and get_prediction_record)
  #   target:      "host:port"
  #   status:      "OK", or the failure's status code name (e.g. "INVALID_ARGUMENT") or class
  #   duration_ms: wall time of the call, retries included
  #   error:       the exception (a Supportability::Error from the service), when the call failed
  #   count:       responses received (stream_predict only)
  class Instrumentation
    def initialize(config)
      @config = config
    end

    # Runs the call in the block, which gets the payload to add to.
    def call(event, rpc:, request_id:, &block)
      payload = { rpc: rpc, request_id: request_id, target: @config.target }
      if defined?(::ActiveSupport::Notifications)
        ::ActiveSupport::Notifications.instrument("#{event}.supportability", payload) do
          measure(event, payload, &block)
        end
      else
        measure(event, payload, &block)
      end
    end

    private

    def measure(event, payload)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      result = yield payload
      payload[:status] = "OK"
      result
    rescue StandardError => e
      payload[:status] = (e.code_name if e.is_a?(Error)) || e.class.name
      payload[:error] = e
      raise
    ensure
      payload[:duration_ms] = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000.0
      report(event, payload)
    end

    def report(event, payload)
      log(event, payload)
      @config.instrumenter&.call(event, payload)
    rescue StandardError => e
      # A broken hook must not fail the prediction it observes.
      @config.logger&.error("supportability: instrumenter failed on #{event}: #{e.class}: #{e.message}")
    end

    def log(event, payload)
      return unless (logger = @config.logger)

      line = format("supportability %s %s %.1fms request_id=%s", event, payload[:status],
                    payload[:duration_ms], payload[:request_id])
      payload[:error] ? logger.warn("#{line} #{payload[:error].message}") : logger.debug(line)
    end
  end
end
