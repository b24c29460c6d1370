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
    # Where TriageCaseJob records its decisions: files, so a decision made by a job in Sidekiq is
    # visible to the web processes.
    config.cache_store = :file_store, ENV.fetch("TRIAGE_CACHE_DIR") { Rails.root.join("tmp/cache/triage").to_s }
    # In-process jobs need nothing else; a deployment sets :sidekiq (and REDIS_URL) and runs
    # `sidekiq -r .` beside Puma, as test/sidekiq_test.rb does.
    config.active_job.queue_adapter = :async
    config.secret_key_base = "example-app-not-secret"
  end
end
