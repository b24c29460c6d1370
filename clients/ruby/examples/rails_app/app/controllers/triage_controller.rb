# frozen_string_literal: true

# Routes a support case with the Supportability service, now (create) or in a job (enqueue), and
# reports what really happened to it when an agent closes it (close).
class TriageController < ApplicationController
  # The caller's fault: our request was invalid. Tell the client which fields.
  rescue_from Supportability::InvalidRequestError do |error|
    render status: :unprocessable_entity, json: {
      error: error.message, reason: error.reason, request_id: error.request_id,
      field_violations: error.field_violations.map { |v| { field: v.field, description: v.description } }
    }
  end

  # Our credentials are wrong: a deployment problem, not the client's.
  rescue_from Supportability::AuthenticationError do |error|
    Rails.logger.error("supportability rejected our credentials: #{error.message}")
    render status: :internal_server_error, json: { error: "triage is misconfigured", request_id: error.request_id }
  end

  # The app can't call the service from this process: a bad setting, or a ForkError (a Puma/Unicorn
  # master called the service before forking this worker). A deployment bug: say so, to be fixed.
  rescue_from Supportability::ConfigurationError do |error|
    Rails.logger.error("supportability cannot be used here: #{error.message}")
    render status: :internal_server_error, json: { error: error.message, reason: error.class.name }
  end

  # The service's fault (unavailable, overloaded, too slow): try again later.
  rescue_from Supportability::ServiceError do |error|
    retry_delay = error.respond_to?(:retry_delay) && error.retry_delay
    response.set_header("Retry-After", retry_delay.ceil.to_s) if retry_delay
    render status: :service_unavailable, json: { error: "triage is unavailable", request_id: error.request_id }
  end

  # POST /triage {"case": {...}}: the routing decision for the case.
  def create
    response = Supportability.client.predict_case(support_case: case_params)
    prediction = response.prediction
    render json: {
      case_id: prediction.case_id,
      queue: response.top_queue,
      probability: response.top_queue_probability,
      auto_route: response.auto_route?,
      escalation_probability: prediction.escalation_probability,
      model_version: prediction.model_version,
      prediction_id: response.prediction_id, # keep it with the case: the outcome sends it back
      request_id: response.request_id
    }
  end

  # POST /triage/later {"case": {...}}: routes the case in TriageCaseJob.
  def enqueue
    job = TriageCaseJob.perform_later(case_params)
    render status: :accepted, json: { job_id: job.job_id }
  end

  # POST /triage/:case_id/close {"outcome": {"prediction_id": "...", "resolved_queue": "payouts", ...}}:
  # the agent closed the case; RecordOutcomeJob records what happened. Without a prediction_id the
  # outcome goes to the latest prediction made for the case.
  def close
    job = RecordOutcomeJob.perform_later(outcome_params)
    render status: :accepted, json: { job_id: job.job_id }
  end

  private

  def outcome_params
    outcome = params.fetch(:outcome, {}).permit(
      :prediction_id, :resolved_queue, :escalated, :final_urgency, :csat_rating, :csat_score, :resolution_hours,
      :decision_overridden, :occur_time, :correction, helpful_article_ids: []
    ).to_h
    prediction_id = outcome.delete(:prediction_id).presence
    target = prediction_id ? { prediction_id: prediction_id } : { case_id: params[:case_id] }
    # occur_time: when the agent closed it, unless the request says otherwise.
    outcome.merge(target).reverse_merge(occur_time: Time.current.iso8601)
  end

  def case_params
    params.require(:case).permit(
      :case_id, :subject, :body, :channel, :language, :create_time,
      account: %i[merchant_id country_code account_age_days industry support_plan monthly_volume_usd
                  integration_type disputes_30d failed_payouts_30d declined_charges_30d previous_cases_30d]
    ).to_h
  end
end
