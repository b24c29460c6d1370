# frozen_string_literal: true

require "rails/generators"

module Supportability
  module Generators
    # `bin/rails generate supportability:install [--target=host:port]`
    class InstallGenerator < ::Rails::Generators::Base
      desc "Creates config/initializers/supportability.rb, which configures the Supportability client " \
           "from the environment (SUPPORTABILITY_*) or the app's credentials."
      source_root File.expand_path("templates", __dir__)
      class_option :target, type: :string, default: "127.0.0.1:50051",
                            desc: "host:port of the service when neither the environment nor credentials give one"

      def create_initializer
        template "supportability.rb.tt", "config/initializers/supportability.rb"
      end
    end
  end
end
