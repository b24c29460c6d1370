# frozen_string_literal: true

# Settings of the Supportability client (gem `supportability`). This file opens nothing: the
# connection is made at the first call, in the process that makes it, which keeps Puma/Unicorn
# preload and Sidekiq safe. Don't call the service from initializers.
#
# Each setting comes from the environment (SUPPORTABILITY_TARGET, SUPPORTABILITY_TOKEN, ...), else
# from the app's credentials (`bin/rails credentials:edit`):
#
#   supportability:
#     target: models.internal:443
#     token: <bearer token>
#     tls: true                      # TLS with the system's roots; or give tls_ca
#     tls_ca: config/certs/ca.pem    # a path or the PEM; tls_cert and tls_key for mutual TLS
#     deadline: 2                    # seconds per call (default 5)
Supportability.configure do |config|
  credentials = Rails.application.credentials.supportability || {}
  setting = ->(name) { ENV["SUPPORTABILITY_#{name.upcase}"].presence || credentials[name] }

  config.target = setting.call(:target) || "127.0.0.1:50051"
  config.token = setting.call(:token)
  config.tls = setting.call(:tls).to_s == "true"
  config.tls_ca = setting.call(:tls_ca)
  config.tls_cert = setting.call(:tls_cert)
  config.tls_key = setting.call(:tls_key)
  config.deadline = Float(setting.call(:deadline) || 5)
  config.logger = Rails.logger

  # Called after every call with the event (:predict, :batch_predict, :stream_predict, :list_models,
  # :get_model, :record_outcome, :batch_record_outcomes, :get_prediction_record) and its payload
  # (status, duration_ms, request_id, ...). The same events are published as
  # ActiveSupport::Notifications "predict.supportability" etc.
  # config.instrumenter = ->(event, payload) { StatsD.measure("supportability.#{event}", payload[:duration_ms]) }
end
