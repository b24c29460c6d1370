# frozen_string_literal: true

module Supportability
  # The channel and stubs of one Client, created at the first call and again in each process that
  # calls (keyed by Process.pid), because gRPC channels don't survive fork. Thread-safe: the
  # stubs of a channel are shared by every thread of the process.
  class Connection
    STUB_CLASSES = {
      prediction: V1::PredictionService::Stub, model: V1::ModelService::Stub, outcome: V1::OutcomeService::Stub
    }.freeze

    def initialize(config)
      @config = config
      @mutex = Mutex.new
      @pid = nil
      @channel = nil
      @stubs = nil
    end

    # :prediction, :model or :outcome
    def stub(service)
      stubs = @stubs
      return stubs.fetch(service) if stubs && @pid == Process.pid

      @mutex.synchronize do
        unless @pid == Process.pid
          @stubs = open_stubs
          @pid = Process.pid
        end
        @stubs.fetch(service)
      end
    end

    # Closes this process's channel; the next call opens a new one.
    def close
      @mutex.synchronize do
        @channel&.close if @pid == Process.pid
        @channel = @stubs = @pid = nil
      end
    end

    private

    def open_stubs
      ForkSafety.creating_grpc_objects do
        credentials = @config.grpc_credentials
        @channel = GRPC::Core::Channel.new(@config.target, @config.grpc_channel_args, credentials)
        STUB_CLASSES.transform_values { |stub| stub.new(@config.target, credentials, channel_override: @channel) }
      end
    end
  end
end
