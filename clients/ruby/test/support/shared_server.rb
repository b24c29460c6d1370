# frozen_string_literal: true

require_relative "python_server"

# One real server for all the integration tests of a process that need no special options,
# started at first use and stopped when the tests are done.
module SharedServer
  def self.target
    @server ||= PythonServer.start.tap { |server| Minitest.after_run { server.stop } }
    @server.target
  end
end
