# frozen_string_literal: true

require "rails/railtie"

module Supportability
  # Loaded by `require "supportability"` only when Rails is. It opens nothing: it gives the gem the
  # app's logger (unless the initializer sets another) and registers `supportability:install`.
  # Calls report ActiveSupport::Notifications events "<event>.supportability" (see Instrumentation).
  class Railtie < ::Rails::Railtie
    initializer "supportability.logger" do
      Supportability.configure { |config| config.logger ||= ::Rails.logger }
    end

    generators do
      require "generators/supportability/install/install_generator"
    end
  end
end
