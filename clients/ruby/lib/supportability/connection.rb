# frozen_string_literal: true

module Supportability
  # The channels and stubs of one Client, created at the first call and again in each process that
  # calls (keyed by Process.pid), because gRPC channels don't survive fork. Thread-safe: the
  # stubs of a channel are shared by every thread of the process. With `connections` > 1, each
  # call takes the next channel in turn.
  class Connection
    STUB_CLASSES = {
      prediction: V1::PredictionService::Stub, model: V1::ModelService::Stub, outcome: V1::OutcomeService::Stub
    }.freeze

    def initialize(config)
      @config = config
      @mutex = Mutex.new
      @pid = nil
      @channels = []
      @stubs = nil
      @turn = 0
    end

    # :prediction, :model or :outcome
    def stub(service)
      stubs = @stubs
      return pick(stubs).fetch(service) if stubs && @pid == Process.pid

      @mutex.synchronize do
        unless @pid == Process.pid
          @stubs = open_stubs
          @pid = Process.pid
        end
        pick(@stubs).fetch(service)
      end
    end

    # Closes this process's channels; the next call opens new ones.
    def close
      @mutex.synchronize do
        @channels.each(&:close) if @pid == Process.pid
        @channels = []
        @stubs = @pid = nil
      end
    end

    private

    # The next channel's stubs. Two threads may read the same turn: they then share a channel for
    # one call, which is harmless, and cheaper than a lock on every call.
    def pick(stubs)
      return stubs.first if stubs.size == 1

      @turn = (@turn + 1) % stubs.size
      stubs[@turn]
    end

    def open_stubs
      ForkSafety.creating_grpc_objects do
        credentials = @config.grpc_credentials
        @channels = Array.new(@config.connections) do
          GRPC::Core::Channel.new(@config.target, @config.grpc_channel_args, credentials)
        end
        @channels.map do |channel|
          STUB_CLASSES.transform_values { |stub| stub.new(@config.target, credentials, channel_override: channel) }
        end
      end
    end
  end
end
