# frozen_string_literal: true

# The example app (config.ru) plus an X-Served-By header naming the process that answered, so the
# Puma test can see that the requests were shared by several workers.
require_relative "../../config/environment"

run(lambda do |env|
  status, headers, body = Rails.application.call(env)
  headers["X-Served-By"] = Process.pid.to_s
  [status, headers, body]
end)
