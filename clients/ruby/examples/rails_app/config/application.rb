# frozen_string_literal: true

require_relative "boot"

require "rails"
require "action_controller/railtie"
require "active_job/railtie"

Bundler.require(*Rails.groups)

module TriageApp
  # A minimal API app that routes support cases with the Supportability service.
  class Application < Rails::Application
    config.load_defaults 6.1
    config.api_only = true
    config.eager_load = false
    config.cache_store = :memory_store
    config.active_job.queue_adapter = :async
    config.secret_key_base = "example-app-not-secret"
  end
end
