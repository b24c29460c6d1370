# frozen_string_literal: true

# The Supportability client. Requiring it loads code only: no channel, thread or socket is opened
# until the first call (see Supportability::ForkSafety for why that matters under Puma/Unicorn).
require "grpc"

require "supportability/version"
require "supportability/errors"

# Generated from proto/supportability/v1 by tools/generate.py (never edited by hand).
require "supportability/v1/error_reason_pb"
require "supportability/v1/prediction_service_services_pb"
require "supportability/v1/model_service_services_pb"
require "supportability/v1/outcome_service_services_pb"

require "supportability/configuration"
require "supportability/fork_safety"
require "supportability/field_values"
require "supportability/hash_message"
require "supportability/requests"
require "supportability/readers"
require "supportability/instrumentation"
require "supportability/connection"
require "supportability/client"

# The Supportability client: Client, its settings (configure) and the process-wide default client.
module Supportability
  @configuration = Configuration.new
  @client = nil
  @client_mutex = Mutex.new

  class << self
    # The process-wide default settings that every Client starts from.
    attr_reader :configuration

    # Changes the default settings, e.g. in a Rails initializer:
    #
    #   Supportability.configure do |config|
    #     config.target = ENV.fetch("SUPPORTABILITY_TARGET")
    #     config.token = Rails.application.credentials.dig(:supportability, :token)
    #   end
    #
    # Checks them, opens nothing, and makes Supportability.client use them from now on.
    def configure
      settings = configuration.dup
      yield settings
      settings.validate!
      @client_mutex.synchronize do
        @configuration = settings
        @client = nil
      end
      settings
    end

    # The process-wide Client built from the default settings, created on first use.
    def client
      @client || @client_mutex.synchronize { @client ||= Client.new(configuration) }
    end

    # Call before forking and after it, in both processes, when the installed grpc has fork hooks
    # (1.57+); no-ops otherwise. See ForkSafety.
    def before_fork
      ForkSafety.before_fork
    end

    def after_fork
      ForkSafety.after_fork
    end
  end
end

require "supportability/railtie" if defined?(Rails::Railtie)
