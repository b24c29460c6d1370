# frozen_string_literal: true

# Records what happened to a case once an agent closed it (TriageController#close), so that the service
# judges its model versions on live outcomes. The outcome names the prediction by the prediction_id the
# triage answer gave, else by case_id (then the latest prediction made for the case).
class RecordOutcomeJob < ApplicationJob
  queue_as :default

  # The service's fault: nothing was recorded (or, after a deadline, maybe it was), so try again later:
  # after about 3 s, 18 s, 83 s and 258 s, then give up and raise. Safe, because the write is idempotent:
  # the same outcome again changes nothing, and each attempt sends the job's id as its request id.
  retry_on Supportability::UnavailableError, Supportability::OverloadedError, Supportability::DeadlineExceededError,
           wait: :exponentially_longer, attempts: 5

  # The caller's fault: the same outcome would fail the same way. A ConflictError means the prediction
  # already has another value for a field (a case reopened and closed again?): send the outcome with
  # `correction: true` to replace it. (AuthenticationError is not discarded: that is a deployment bug.)
  discard_on Supportability::InvalidRequestError, Supportability::NotFoundError,
             Supportability::ConflictError do |job, error|
    Rails.logger.warn("RecordOutcomeJob #{job.job_id} discarded: #{error.message}")
  end

  # `outcome`: a Hash of the contract's Outcome fields, e.g.
  #   { "prediction_id" => "0193...", "resolved_queue" => "payouts", "escalated" => false, "csat_score" => 5 }
  def perform(outcome)
    recorded = Supportability.client.record_outcome(outcome: outcome, request_id: job_id).recorded_outcome
    Rails.logger.info("outcome of prediction #{recorded.prediction_id} (case #{recorded.case_id}) recorded")
  end
end
