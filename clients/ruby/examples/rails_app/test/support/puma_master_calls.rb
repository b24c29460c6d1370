# frozen_string_literal: true

# Puma config with the mistake the gem guards against: the master calls the service after
# preloading the app, then forks its workers. With grpc 1.51 the workers can't use gRPC after that;
# each request must fail fast with Supportability::ForkError, never hang.
workers 2
threads 1, 1
preload_app!

before_fork do
  response = Supportability.client.predict_case(
    support_case: { case_id: "master", subject: "Payout late", channel: "CHANNEL_EMAIL" }
  )
  puts "master called the service: #{response.top_queue}"
end
