# frozen_string_literal: true

# Mixes the readers below into the generated messages.
module Supportability
  # Small readers added to the generated response messages for the fields most callers want.
  # Tasks the answering model version does not serve are absent, so these return nil for them.
  module Readers
    # Supportability::V1::CasePrediction
    module CasePrediction
      # The most likely queue's name.
      def top_queue
        routing&.top_queues&.first&.queue
      end

      # The most likely queue's calibrated probability.
      def top_queue_probability
        routing&.top_queues&.first&.probability
      end

      # Whether the decision is to route the case automatically to `top_queue`.
      def auto_route?
        decision&.action == :DECISION_ACTION_AUTO_ROUTE
      end

      def escalation_probability
        escalation&.probability
      end

      def csat_risk_probability
        csat_risk&.probability
      end

      # The most likely urgency, e.g. :URGENCY_HIGH.
      def urgency_level
        urgency&.level
      end
    end

    # Supportability::V1::PredictCaseResponse: the CasePrediction readers (and its decision and
    # prediction_id, which an outcome sends back), on its prediction.
    module PredictCaseResponse
      %i[top_queue top_queue_probability auto_route? escalation_probability csat_risk_probability
         urgency_level decision prediction_id].each do |reader|
        define_method(reader) { prediction&.public_send(reader) }
      end
    end

    # Supportability::V1::StreamPredictCasesResponse
    module StreamPredictCasesResponse
      def error?
        result == :error
      end

      # The Supportability::Error this case would have raised from predict_case; nil on success.
      def to_error
        Error.from_rpc_status(error, request_id: request_id) if error?
      end
    end
  end

  V1::CasePrediction.include(Readers::CasePrediction)
  V1::PredictCaseResponse.include(Readers::PredictCaseResponse)
  V1::StreamPredictCasesResponse.include(Readers::StreamPredictCasesResponse)
end
