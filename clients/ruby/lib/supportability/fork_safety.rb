# frozen_string_literal: true

require "grpc"

module Supportability
  # gRPC's core library belongs to the process that first used it. Debian's grpc 1.51 raises
  # "grpc cannot be used before and after forking" in a child forked after its parent made any gRPC
  # object, which is what a Puma/Unicorn master that called the service before forking produces.
  # The gem therefore creates gRPC objects only at a call, per process, and records which process
  # did so: a child of such a process gets a ForkError that says how to fix the app instead of
  # grpc's message (or, with other grpc builds, a hang).
  #
  # grpc 1.57+ can survive forks when told (GRPC.prefork / postfork_parent / postfork_child, with
  # GRPC_ENABLE_FORK_SUPPORT=1); before_fork and after_fork call those when they exist.
  module ForkSafety
    GRPC_FORK_MESSAGE = "grpc cannot be used before and after forking"

    @grpc_pid = nil # the process that created this process's first gRPC object (or an ancestor)
    @forking_pid = nil

    class << self
      # The process that created the gem's first gRPC objects (this one or an ancestor); nil while
      # nothing has been opened, e.g. after booting a Rails app.
      attr_reader :grpc_pid

      # Whether the installed grpc has fork hooks.
      def hooks?
        GRPC.respond_to?(:prefork)
      end

      # Call in the parent just before forking (e.g. Puma's `before_fork`). A no-op without hooks.
      def before_fork
        return unless hooks?

        @forking_pid = Process.pid
        GRPC.prefork
      end

      # Call in the parent and in each child right after forking (e.g. Puma's `on_worker_boot`).
      # A no-op without hooks.
      def after_fork
        return unless hooks? && @forking_pid

        if Process.pid == @forking_pid
          GRPC.postfork_parent
        else
          @grpc_pid = Process.pid
          GRPC.postfork_child
        end
      end

      # Runs the block that creates this process's gRPC objects. Raises ForkError when they
      # cannot work here, because an ancestor process already used gRPC.
      def creating_grpc_objects
        pid = Process.pid
        raise fork_error(@grpc_pid) if @grpc_pid && @grpc_pid != pid && !hooks?

        @grpc_pid = pid
        yield
      rescue RuntimeError => e
        raise unless e.message.include?(GRPC_FORK_MESSAGE)

        raise fork_error(nil)
      end

      private

      def fork_error(parent_pid)
        parent = parent_pid ? "process #{parent_pid}" : "a process"
        ForkError.new(<<~MESSAGE.tr("\n", " ").strip)
          Supportability cannot call the service from this process (pid #{Process.pid}): it was forked
          from #{parent} that had already made a gRPC call, and grpc #{GRPC::VERSION} cannot be used on
          both sides of a fork. Configure the gem in the master (Supportability.configure opens
          nothing) but make calls only in the forked workers: don't call the service from
          initializers, preload code or the Puma/Unicorn master. With grpc 1.57+, call
          Supportability.before_fork before forking and Supportability.after_fork in both processes.
        MESSAGE
      end
    end
  end
end
