# frozen_string_literal: true

require "support/fake_service"

# A test case's client against the shared in-process fake service: the service is reset and
# a client made before each test, the client closed after it; instrumentation events go to
# @events.
module FakeClient
  UUID = /\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/
  Codes = GRPC::Core::StatusCodes
  FAKE = FakeService.new
  Minitest.after_run { FAKE.stop }

  def setup
    FAKE.reset
    @events = []
    @client = Supportability::Client.new(target: FAKE.target, deadline: 2,
                                         instrumenter: ->(event, payload) { @events << [event, payload] })
  end

  def teardown
    @client.close
  end
end
