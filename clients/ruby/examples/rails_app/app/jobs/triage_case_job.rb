# frozen_string_literal: true

# Routes a case in the background and records the decision (here in Rails.cache; a real app would
# update its case record or hand the case to its queueing system).
class TriageCaseJob < ApplicationJob
  queue_as :default

  # The service's fault: let ActiveJob try again later.
  retry_on Supportability::UnavailableError, Supportability::OverloadedError, Supportability::DeadlineExceededError,
           wait: 5.seconds, attempts: 5
  # The caller's fault: the same case will fail the same way.
  discard_on Supportability::InvalidRequestError

  def perform(support_case)
    response = Supportability.client.predict_case(support_case: support_case)
    Rails.cache.write("triage/#{support_case.fetch('case_id')}", {
      "queue" => response.top_queue,
      "auto_route" => response.auto_route?,
      "model_version" => response.prediction.model_version,
      "prediction_id" => response.prediction_id,
      "request_id" => response.request_id
    })
  end
end
